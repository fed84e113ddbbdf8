// Pricing rules that reach the Go program through the host module "shop".
// Edit and save while `go run ./examples/hostfn -watch` runs: the next quote
// uses the new rules.
import { stock, price, currency } from "host:shop"

export function quote(sku, qty) {
  const available = stock(sku)
  if (available < qty) return { sku, ok: false, reason: `only ${available} in stock` }
  const unit = price(sku) // throws for an unknown sku: the Go error's text
  const discount = qty >= 10 ? 0.1 : 0
  return { sku, ok: true, total: Math.round(unit * qty * (1 - discount) * 100) / 100, currency }
}
