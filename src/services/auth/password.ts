import { Effect } from "effect"
import { BadUserInput } from "../../schema/errors.js"

/** Twenty's rule: at least 8 characters. */
export const validatePassword = (password: string) =>
  password.length >= 8 && password.length <= 256
    ? Effect.succeed(password)
    : Effect.fail(
      new BadUserInput({ message: "Password must be between 8 and 256 characters long.", field: "password" })
    )

export const hashPassword = (password: string) =>
  Effect.promise(() => Bun.password.hash(password, { algorithm: "argon2id" }))

export const verifyPassword = (password: string, hash: string) =>
  Effect.promise(() => Bun.password.verify(password, hash)).pipe(Effect.orElseSucceed(() => false))

let dummyHash: Promise<string> | undefined

/** Burns the same time as a real check when the email is unknown, so timing does not reveal accounts. */
export const verifyAgainstDummy = (password: string) =>
  Effect.promise(() => {
    dummyHash ??= Bun.password.hash("score-timing-equaliser", { algorithm: "argon2id" })
    return dummyHash.then((hash) => Bun.password.verify(password, hash))
  }).pipe(Effect.as(false))
