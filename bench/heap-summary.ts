/**
 * Sums a V8-format heap snapshot's self sizes by node type and name: where a process's live heap goes.
 *
 *   bun bench/heap-summary.ts file.heapsnapshot [top=30]
 *
 * Self sizes only (a Map's entries count under the Map's backing store, a string under "string"), which is
 * enough to see which kinds of objects grew with the number of workspaces.
 */
const [file, topArg] = process.argv.slice(2)
if (!file) throw new Error("usage: bun bench/heap-summary.ts file.heapsnapshot [top]")
const snapshot = await Bun.file(file).json() as {
  snapshot: { meta: { node_fields: Array<string>; node_types: [Array<string>] } }
  nodes: Array<number>
  strings: Array<string>
}
const fields = snapshot.snapshot.meta.node_fields
const width = fields.length
const typeAt = fields.indexOf("type")
const nameAt = fields.indexOf("name")
const sizeAt = fields.indexOf("self_size")
const types = snapshot.snapshot.meta.node_types[0]
const totals = new Map<string, { count: number; bytes: number }>()
let all = 0
for (let i = 0; i < snapshot.nodes.length; i += width) {
  const type = types[snapshot.nodes[i + typeAt]!]!
  const name = type === "string" || type === "concatenated string" ? "" : snapshot.strings[snapshot.nodes[i + nameAt]!]!.slice(0, 60)
  const key = `${type} ${name}`
  const bytes = snapshot.nodes[i + sizeAt]!
  all += bytes
  const entry = totals.get(key) ?? { count: 0, bytes: 0 }
  entry.count++
  entry.bytes += bytes
  totals.set(key, entry)
}
const mib = (n: number) => (n / 1048576).toFixed(1)
console.log(`total ${mib(all)} MiB in ${snapshot.nodes.length / width} nodes`)
for (const [key, { count, bytes }] of [...totals].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(topArg ?? 30))) {
  console.log(`${mib(bytes).padStart(7)} MiB ${String(count).padStart(8)}  ${key}`)
}
export {}
