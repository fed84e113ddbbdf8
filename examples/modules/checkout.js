// Imports another module: it always sees pricing's current version, so an
// edit of pricing.ts changes checkout's totals without reloading checkout.
import { quote } from './pricing.ts'
import * as counter from './counter.js'

export async function checkout(customer, items) {
  if (!Array.isArray(items) || items.length === 0) throw new Error('an order needs items')
  const q = quote(items)
  counter.increment(customer)
  return { customer, ...q, placedAt: new Date().toISOString() }
}
