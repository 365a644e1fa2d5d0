import type { GraphiQLOptions } from "graphql-yoga"

type RenderGraphiQLPackage = typeof import("@graphql-yoga/render-graphiql")

const rendered = new Map<string, Promise<string>>()

const render = async (options: GraphiQLOptions) => {
  const graphiql: RenderGraphiQLPackage = await import(Bun.resolveSync("@graphql-yoga/render-graphiql", import.meta.dir))
  return graphiql.renderGraphiQL(options)
}

/**
 * GraphiQL for GET /metadata from npm `@graphql-yoga/render-graphiql`, whose page carries its scripts,
 * styles and Monaco workers inline, so it works offline (yoga's default page loads them from a CDN).
 * The package is 9 MB of strings: it is imported on the first visit, from node_modules at run time (a
 * computed path keeps it out of the server bundle), and each page is rendered once.
 */
export const renderOfflineGraphiQL = (options: GraphiQLOptions): Promise<string> => {
  const key = JSON.stringify(options)
  let page = rendered.get(key)
  if (!page) {
    page = render(options)
    rendered.set(key, page)
  }
  return page
}
