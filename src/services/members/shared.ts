import { createHash, randomBytes } from "node:crypto"

/** Invitation tokens travel in mail; only their SHA-256 is stored (core."appToken".value). */
export const newInvitationToken = () => randomBytes(32).toString("hex")
export const hashInvitationToken = (token: string) => createHash("sha256").update(token).digest("hex")

export const normalizeEmail = (email: string) => email.trim().toLowerCase()
export const isEmail = (email: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) && email.length <= 320

/** A page of the workspace's front end, on its subdomain of FRONTEND_URL (as `workspaceUrls.subdomainUrl`). */
export const workspacePageUrl = (frontendUrl: URL, subdomain: string, pathname: string, search: Record<string, string> = {}) => {
  const url = new URL(frontendUrl.href)
  url.hostname = `${subdomain}.${url.hostname}`
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${pathname}`
  for (const [key, value] of Object.entries(search)) url.searchParams.set(key, value)
  return url.href
}
