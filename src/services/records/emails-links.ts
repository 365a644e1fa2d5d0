/**
 * EMAILS and LINKS inputs normalised as Twenty's transform-emails-value.util.ts and
 * transform-links-value.util.ts: addresses lowercased; an http(s) URL's origin lowercased and its trailing
 * slash removed; a blank primary link gives way to the first secondary one. Subfields not given stay
 * untouched (Twenty would blank them).
 */

const lowerOrigin = (raw: unknown) => {
  if (typeof raw !== "string") return raw
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return raw
  }
  if (url.origin === "null" || (url.protocol !== "http:" && url.protocol !== "https:")) return raw
  const origin = raw.match(/^[a-zA-Z][a-zA-Z\d+.-]*:\/\/[^/?#]+/)?.[0]
  const path = origin ? raw.slice(origin.length) : url.pathname + url.search + url.hash
  return (url.origin.toLowerCase() + path).replace(/\/$/, "")
}

const lower = (value: unknown) => (typeof value === "string" ? value.toLowerCase() : value)

const listOf = (value: unknown): unknown => {
  if (typeof value !== "string") return value
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

export const normaliseEmails = (input: Record<string, unknown>): Record<string, unknown> => {
  const result = { ...input }
  if ("primaryEmail" in input) result["primaryEmail"] = lower(input["primaryEmail"])
  const additional = listOf(input["additionalEmails"])
  if (Array.isArray(additional)) result["additionalEmails"] = additional.map(lower)
  return result
}

export const normaliseLinks = (input: Record<string, unknown>): Record<string, unknown> => {
  const result = { ...input }
  let secondary = listOf(input["secondaryLinks"])
  if (Array.isArray(secondary)) {
    secondary = secondary.filter((link) => typeof link !== "object" || link === null || !("url" in link) || (typeof link.url === "string" && link.url !== ""))
  }
  const primary = input["primaryLinkUrl"]
  if ("primaryLinkUrl" in input && (primary === null || primary === "") && Array.isArray(secondary) && secondary.length > 0) {
    const [first, ...rest] = secondary as Array<Record<string, unknown>>
    result["primaryLinkUrl"] = first?.["url"] ?? null
    result["primaryLinkLabel"] = first?.["label"] ?? null
    secondary = rest
  }
  if ("primaryLinkUrl" in result) result["primaryLinkUrl"] = lowerOrigin(result["primaryLinkUrl"])
  if (Array.isArray(secondary)) {
    result["secondaryLinks"] = secondary.map((link) =>
      typeof link === "object" && link !== null && "url" in link ? { ...link, url: lowerOrigin((link as Record<string, unknown>)["url"]) } : link
    )
  }
  return result
}
