// TypeScript: types are stripped by esbuild; errors point at this file.
export interface Item {
  sku: string
  price: number
  quantity: number
}

export const taxRate: number = 0.2

export function subtotal(items: Item[]): number {
  return items.reduce((sum, it) => sum + it.price * it.quantity, 0)
}

export function quote(items: Item[]): { subtotal: number; tax: number; total: number } {
  const s = subtotal(items)
  const tax = Math.round(s * taxRate * 100) / 100
  return { subtotal: s, tax, total: s + tax }
}
