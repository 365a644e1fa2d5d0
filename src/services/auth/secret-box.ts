import { Context, Layer, Redacted } from "effect"
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto"

/** Secrets kept at rest (SSO client secrets): AES-256-GCM under a key derived from APP_SECRET. */
export interface SecretBoxShape {
  readonly seal: (plain: string) => string
  /** null for a value this APP_SECRET did not seal (or that was altered). */
  readonly open: (sealed: string) => string | null
}

export class SecretBox extends Context.Tag("score/SecretBox")<SecretBox, SecretBoxShape>() {}

const VERSION = "v1"

export const makeSecretBox = (appSecret: Redacted.Redacted<string>, purpose: string): SecretBoxShape => {
  const key = Buffer.from(hkdfSync("sha256", Redacted.value(appSecret), "score-secret-box", purpose, 32))
  return {
    seal: (plain) => {
      const iv = randomBytes(12)
      const cipher = createCipheriv("aes-256-gcm", key, iv)
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()])
      return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`
    },
    open: (sealed) => {
      const [version, data] = sealed.split(":")
      if (version !== VERSION || !data) return null
      const raw = Buffer.from(data, "base64url")
      if (raw.length < 28) return null
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12))
        decipher.setAuthTag(raw.subarray(12, 28))
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8")
      } catch {
        return null
      }
    }
  }
}

export const SecretBoxLive = (appSecret: Redacted.Redacted<string>) =>
  Layer.succeed(SecretBox, makeSecretBox(appSecret, "sso-client-secret"))
