import { Context, Layer, Redacted } from "effect"
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto"

/**
 * Secrets Score must read back (TOTP seeds, SSO client secrets) are stored sealed: AES-256-GCM with a key
 * derived from APP_SECRET by HKDF. `context` (e.g. the row's owner) is authenticated data, so a sealed
 * value copied to another row does not open there.
 */
export interface SecretBoxShape {
  readonly seal: (plaintext: string, context: string) => string
  /** The plaintext, or null for a value that was not sealed by this key for this context. */
  readonly open: (sealed: string, context: string) => string | null
}

export class SecretBox extends Context.Tag("score/SecretBox")<SecretBox, SecretBoxShape>() {}

const VERSION = "v1"

export const makeSecretBox = (appSecret: Redacted.Redacted<string>): SecretBoxShape => {
  const key = Buffer.from(hkdfSync("sha256", Redacted.value(appSecret), "score", "score/secret-box/v1", 32))
  return {
    seal: (plaintext, context) => {
      const iv = randomBytes(12)
      const cipher = createCipheriv("aes-256-gcm", key, iv)
      cipher.setAAD(Buffer.from(context))
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
      return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`
    },
    open: (sealed, context) => {
      const [version, payload] = sealed.split(":")
      if (version !== VERSION || !payload) return null
      const bytes = Buffer.from(payload, "base64url")
      if (bytes.length < 28) return null
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, 12))
        decipher.setAAD(Buffer.from(context))
        decipher.setAuthTag(bytes.subarray(12, 28))
        return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8")
      } catch {
        return null
      }
    }
  }
}

export const SecretBoxLive = (appSecret: Redacted.Redacted<string>) => Layer.succeed(SecretBox, makeSecretBox(appSecret))
