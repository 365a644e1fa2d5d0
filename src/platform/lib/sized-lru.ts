/**
 * A Map in least-recently-used order bounded by the estimated bytes of its values, not their count: a
 * hit moves to the end, and the oldest entries go until the total fits `maxBytes` (the newest always stays).
 */
export class SizedLru<K, V> {
  private readonly entries = new Map<K, { readonly value: V; readonly bytes: number }>()
  private total = 0
  /** `onEvict`: told of each entry the budget pushes out (not of `delete`s), so what hangs off it can go too. */
  constructor(private readonly maxBytes: number, private readonly onEvict?: (key: K, value: V) => void) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry.value
  }

  set(key: K, value: V, bytes: number): void {
    this.delete(key)
    this.entries.set(key, { value, bytes })
    this.total += bytes
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxBytes || oldest === key) break
      this.entries.delete(oldest)
      this.total -= entry.bytes
      this.onEvict?.(oldest, entry.value)
    }
  }

  delete(key: K): void {
    const entry = this.entries.get(key)
    if (entry === undefined) return
    this.entries.delete(key)
    this.total -= entry.bytes
  }

  get size(): number {
    return this.entries.size
  }

  get bytes(): number {
    return this.total
  }
}
