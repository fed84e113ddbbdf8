package server

import (
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are hotmod's Prometheus metrics. Module figures are read from
// the runtime's Stats at scrape time; calls are counted as they happen, for
// calls made through Module.Call (the API's, and a Go program's).
type Metrics struct {
	reg      *prometheus.Registry
	calls    *prometheus.CounterVec
	failures *prometheus.CounterVec
	duration *prometheus.HistogramVec

	// observers are told of each call too (a Server's live figures). The
	// slice is replaced, never changed, so a call reads it without a lock.
	observers atomic.Pointer[[]*callObserver]
	obsMu     sync.Mutex // serializes the replacements
}

type callObserver struct {
	fn func(module string, d time.Duration, err error)
}

// NewMetrics makes the registry. Pass ObserveCall as hotmod.Options.OnCall
// and the runtime to Attach.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotmod_calls_total", Help: "Calls through module handles.",
		}, []string{"module", "function"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotmod_call_errors_total", Help: "Calls that threw, rejected or timed out.",
		}, []string{"module", "function"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hotmod_call_duration_seconds", Help: "Call duration, promises awaited.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 12),
		}, []string{"module", "function"}),
	}
	m.reg.MustRegister(m.calls, m.failures, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveCall records one call, for Prometheus and for the servers' live
// figures. Calls of names that are not functions are not recorded, so that
// unknown names cannot grow the label space.
func (m *Metrics) ObserveCall(module, function string, d time.Duration, err error) {
	if err != nil && (errors.Is(outsideJS{err}, hotmod.ErrNotFunction) || errors.Is(outsideJS{err}, hotmod.ErrNotFound)) {
		return
	}
	m.calls.WithLabelValues(module, function).Inc()
	if err != nil {
		m.failures.WithLabelValues(module, function).Inc()
	}
	m.duration.WithLabelValues(module, function).Observe(d.Seconds())
	if obs := m.observers.Load(); obs != nil {
		for _, o := range *obs {
			o.fn(module, d, err)
		}
	}
}

// observe adds fn to the calls' observers until remove is called.
func (m *Metrics) observe(fn func(module string, d time.Duration, err error)) (remove func()) {
	o := &callObserver{fn}
	m.obsMu.Lock()
	defer m.obsMu.Unlock()
	var cur []*callObserver
	if p := m.observers.Load(); p != nil {
		cur = *p
	}
	next := append(slices.Clip(cur), o)
	m.observers.Store(&next)
	return func() {
		m.obsMu.Lock()
		defer m.obsMu.Unlock()
		next := slices.DeleteFunc(slices.Clone(*m.observers.Load()), func(x *callObserver) bool { return x == o })
		m.observers.Store(&next)
	}
}

// Attach adds the runtime's module and sandbox figures.
func (m *Metrics) Attach(rt *hotmod.Runtime) { m.reg.MustRegister(statsCollector{rt}) }

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

var (
	descModules   = prometheus.NewDesc("hotmod_modules", "Loaded modules.", nil, nil)
	descVersion   = prometheus.NewDesc("hotmod_module_version", "Current version of a module.", []string{"module"}, nil)
	descReloads   = prometheus.NewDesc("hotmod_reloads_total", "Successful reloads.", []string{"module"}, nil)
	descFailed    = prometheus.NewDesc("hotmod_reload_failures_total", "Failed reloads (the old version kept serving).", []string{"module"}, nil)
	descRollbacks = prometheus.NewDesc("hotmod_rollbacks_total", "Rollbacks.", []string{"module"}, nil)
	descSandbox   = prometheus.NewDesc("hotmod_sandbox_runs_total", "Sandboxed runs.", nil, nil)
	descBreaches  = prometheus.NewDesc("hotmod_sandbox_limit_breaches_total", "Sandboxed runs stopped by a limit.", nil, nil)
)

type statsCollector struct{ rt *hotmod.Runtime }

func (c statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descModules, descVersion, descReloads, descFailed, descRollbacks, descSandbox, descBreaches} {
		ch <- d
	}
}

func (c statsCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.rt.Stats()
	ch <- prometheus.MustNewConstMetric(descModules, prometheus.GaugeValue, float64(st.TotalModules))
	for _, m := range st.Modules {
		ch <- prometheus.MustNewConstMetric(descVersion, prometheus.GaugeValue, float64(m.Version), m.ID)
		ch <- prometheus.MustNewConstMetric(descReloads, prometheus.CounterValue, float64(m.Reloads), m.ID)
		ch <- prometheus.MustNewConstMetric(descFailed, prometheus.CounterValue, float64(m.FailedReloads), m.ID)
		ch <- prometheus.MustNewConstMetric(descRollbacks, prometheus.CounterValue, float64(m.Rollbacks), m.ID)
	}
	ch <- prometheus.MustNewConstMetric(descSandbox, prometheus.CounterValue, float64(st.SandboxRuns))
	ch <- prometheus.MustNewConstMetric(descBreaches, prometheus.CounterValue, float64(st.SandboxLimitBreaches))
}
