/**
 * What /metrics' request counting costs per request, in this process: the web handler's wrapper (route
 * pattern, counter, histogram) around an answer that is already made, against the same handler bare.
 * Compare with the server CPU per request bench/data.ts prints (about 80–500 µs on the data APIs).
 *
 *   bun bench/metrics-overhead.ts
 */
import { measured, noteOperation } from "../src/http/metrics.js"

const N = 200_000
const answer = new Response("{}")
const bare = (_request: Request, _path: string) => Promise.resolve(answer)
const counted = measured(bare)
const requests = ["/rest/companies", "/rest/companies/5f0c7c9e-1111-4222-8333-444455556666", "/graphql", "/metadata"].map((path) => ({
  path,
  request: new Request(`http://localhost${path}`, { method: path.startsWith("/rest") ? "GET" : "POST" })
}))

const run = async (handler: (request: Request, path: string) => Promise<Response>) => {
  const started = performance.now()
  for (let i = 0; i < N; i++) {
    const { request, path } = requests[i & 3]!
    if (path === "/graphql") noteOperation(request, "CompaniesList")
    await handler(request, path)
  }
  return ((performance.now() - started) * 1000) / N
}

for (let round = 0; round < 3; round++) {
  const off = await run(bare)
  const on = await run(counted)
  console.log(`round ${round + 1}: bare ${off.toFixed(2)} µs/request, counted ${on.toFixed(2)} µs/request, overhead ${(on - off).toFixed(2)} µs`)
}
