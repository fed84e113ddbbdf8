// Package dashboardtests holds the browser tests of the dashboard that
// package server serves: they drive Chromium through chromedp, and as
// tests of server they would put chromedp and its protocol packages into
// the go.sum of every program that imports server (go mod tidy loads the
// tests of the packages a program imports). Nothing imports this package.
package dashboardtests
