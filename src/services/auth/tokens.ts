import { Context, Duration, Effect, Layer, Redacted } from "effect"
import * as jose from "jose"
import { createHash, createHmac } from "node:crypto"
import type { TokenPayload, TokenType } from "../../domain/auth.js"
import { Unauthenticated } from "../../domain/errors.js"

export interface SignedToken {
  readonly token: string
  readonly expiresAt: Date
}

export interface TokensShape {
  readonly sign: <P extends TokenPayload>(
    payload: P,
    expiresIn: Duration.DurationInput | { readonly until: Date }
  ) => Effect.Effect<SignedToken>
  /** The same HS256 token, signed synchronously (node:crypto): for URLs signed by the thousand on reads. */
  readonly signNow: <P extends TokenPayload>(payload: P, expiresIn: Duration.Duration) => string
  /**
   * Checks signature, expiry (a token without `exp` is refused) and type; never tells the caller which
   * check failed beyond expiry.
   */
  readonly verify: <T extends TokenType>(
    token: string,
    expected: ReadonlyArray<T>
  ) => Effect.Effect<Extract<TokenPayload, { type: T }>, Unauthenticated>
}

export class Tokens extends Context.Tag("score/Tokens")<Tokens, TokensShape>() {}

const invalid = new Unauthenticated({ message: "Token invalid." })

const isUntil = (input: Duration.DurationInput | { readonly until: Date }): input is { readonly until: Date } =>
  typeof input === "object" && input !== null && "until" in input && input.until instanceof Date

/**
 * HS256 with one key per token type and workspace (or user, for tokens without a workspace), derived
 * from APP_SECRET as Twenty does: a token of one kind never passes as another kind or in another workspace.
 */
export const makeTokens = (appSecret: Redacted.Redacted<string>): TokensShape => {
  // Imported once per (type, scope): jose would otherwise import raw bytes on every verification.
  const keys = new Map<string, Promise<CryptoKey>>()
  const keyFor = (type: string, scope: string | undefined) => {
    const id = `${type}:${scope ?? ""}`
    let key = keys.get(id)
    if (!key) {
      const hex = createHash("sha256").update(`${Redacted.value(appSecret)}${scope ?? ""}${type}`).digest("hex")
      key = crypto.subtle.importKey("raw", new TextEncoder().encode(hex), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"])
      if (keys.size > 10_000) keys.clear()
      keys.set(id, key)
    }
    return key
  }

  const rawKeys = new Map<string, Buffer>()
  const rawKeyFor = (type: string, scope: string) => {
    const id = `${type}:${scope}`
    let key = rawKeys.get(id)
    if (!key) {
      key = Buffer.from(createHash("sha256").update(`${Redacted.value(appSecret)}${scope}${type}`).digest("hex"))
      if (rawKeys.size > 10_000) rawKeys.clear()
      rawKeys.set(id, key)
    }
    return key
  }
  const header = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url")

  return {
    signNow: (payload, expiresIn) => {
      const now = Math.floor(Date.now() / 1000)
      const scope = "workspaceId" in payload && payload.workspaceId ? payload.workspaceId : payload.sub
      const claims = Buffer.from(
        JSON.stringify({ ...payload, iat: now, exp: now + Math.floor(Duration.toSeconds(expiresIn)) })
      ).toString("base64url")
      const signature = createHmac("sha256", rawKeyFor(payload.type, scope)).update(`${header}.${claims}`).digest("base64url")
      return `${header}.${claims}.${signature}`
    },
    sign: (payload, expiresIn) =>
      Effect.promise(async () => {
        const now = Date.now()
        const expiresAt = isUntil(expiresIn)
          ? expiresIn.until
          : new Date(now + Duration.toMillis(Duration.decode(expiresIn)))
        const scope = "workspaceId" in payload && payload.workspaceId ? payload.workspaceId : payload.sub
        const token = await new jose.SignJWT({ ...payload })
          .setProtectedHeader({ alg: "HS256", typ: "JWT" })
          .setIssuedAt(Math.floor(now / 1000))
          .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
          .sign(await keyFor(payload.type, scope))
        return { token, expiresAt }
      }),
    verify: (token, expected) =>
      Effect.gen(function*() {
        const claims = yield* Effect.try({ try: () => jose.decodeJwt(token), catch: () => invalid })
        const type = claims["type"]
        if (typeof type !== "string" || !(expected as ReadonlyArray<string>).includes(type)) return yield* invalid
        const scope = typeof claims["workspaceId"] === "string" && claims["workspaceId"]
          ? claims["workspaceId"]
          : typeof claims["userId"] === "string" ? claims["userId"] : claims.sub
        const { payload } = yield* Effect.tryPromise({
          try: async () => jose.jwtVerify(token, await keyFor(type, scope), { algorithms: ["HS256"], requiredClaims: ["exp"] }),
          catch: (e) =>
            e instanceof jose.errors.JWTExpired ? new Unauthenticated({ message: "Token has expired." }) : invalid
        })
        return payload as never
      })
  }
}

export const TokensLive = (appSecret: Redacted.Redacted<string>) => Layer.succeed(Tokens, makeTokens(appSecret))
