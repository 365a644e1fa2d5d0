import { createHash, randomBytes } from "node:crypto"
import { Duration } from "effect"

/** Tokens that travel in mail (password reset, email verification): only their SHA-256 is stored (core."appToken".value). */
export const newSecretToken = () => randomBytes(32).toString("hex")
export const hashSecretToken = (token: string) => createHash("sha256").update(token).digest("hex")

/** `5 minutes`, `1 hour`, `2 days`: a token lifetime in a mail. */
export const lifetimeInWords = (duration: Duration.Duration) => {
  const millis = Duration.toMillis(duration)
  if (millis < 60_000) {
    const seconds = Math.max(1, Math.round(millis / 1000))
    return `${seconds} second${seconds === 1 ? "" : "s"}`
  }
  const minutes = Math.round(millis / 60_000)
  const [n, unit] = minutes % 1440 === 0 ? [minutes / 1440, "day"] : minutes % 60 === 0 ? [minutes / 60, "hour"] : [minutes, "minute"]
  return `${n} ${unit}${n === 1 ? "" : "s"}`
}
