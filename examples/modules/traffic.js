// Demo traffic, so that the dashboard has calls to show from the start: a
// customer checks out every 100 ms, and checkout calls pricing and counter.
// Edit the interval to change the rate, or delete this file to stop it (a
// version's timers stop with it).
import { checkout } from './checkout.js'

const customers = ['ada', 'grace', 'linus', 'barbara']
let n = 0

export function orders() {
  return n
}

setInterval(() => {
  const customer = customers[n++ % customers.length]
  checkout(customer, [{ sku: 'tea', price: 4.5, quantity: 1 + (n % 3) }]).catch((e) => console.error(e.message))
}, 100)
