import { Cause, Effect, Exit, Option, Runtime } from "effect"
import { isUserError, type UserError } from "../domain/errors.js"
import { Forbidden } from "../domain/errors.js"
import { Auth } from "../services/auth/index.js"
import { Files } from "../services/files/index.js"
import { Metadata } from "../services/metadata/index.js"
import { Permissions } from "../services/permissions/index.js"
import { bearerToken } from "./caller.js"
import { contentDisposition } from "../services/files/names.js"
import { causeIsDatabaseUnavailable, restUnavailableBody, restUserErrorBody } from "./errors.js"

const json = (status: number, body: unknown, headers: Readonly<Record<string, string>>) =>
  new Response(JSON.stringify(body), { status, headers: { ...headers, "content-type": "application/json" } })

/**
 * Twenty's file-by-id route, `GET /file/{folder}/{id}?token=…` (`&size=thumbnail`: a picture's thumbnail), and the upload URL Score hands out for it,
 * `PUT` on the same path with an upload token. Answered on the web request, outside the Effect HTTP
 * pipeline and before MAX_BODY_SIZE, so bytes stream both ways (files have their own limits,
 * FILE_MAX_SIZE and FILE_PICTURE_MAX_SIZE).
 */
export const makeFileRoutes = Effect.gen(function*() {
  const runtime = yield* Effect.runtime<Files | Auth | Metadata | Permissions>()
  const runExit = Runtime.runPromiseExit(runtime)

  const answer = <A>(
    effect: Effect.Effect<A, unknown, Files | Auth | Metadata | Permissions>,
    onSuccess: (a: A) => Response,
    headers: Readonly<Record<string, string>>
  ) =>
    runExit(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return onSuccess(exit.value)
      const failure = Cause.failureOption(exit.cause)
      if (Option.isSome(failure) && isUserError(failure.value)) {
        const { status, body } = restUserErrorBody(failure.value as UserError)
        return json(status, body, headers)
      }
      if (causeIsDatabaseUnavailable(exit.cause)) return json(503, restUnavailableBody(), headers)
      Runtime.runFork(runtime)(Effect.logError("File request failed", exit.cause))
      return json(500, { statusCode: 500, error: "InternalServerErrorException", messages: ["Internal server error"] }, headers)
    })

  /** Null when the request is not for a file route. */
  return (request: Request, path: string, headers: Readonly<Record<string, string>>): Promise<Response> | null => {
    const match = /^\/file\/([A-Za-z]+)\/([0-9a-fA-F-]{36})$/.exec(path)
    if (match === null) return null
    const [, folder, fileId] = match as unknown as [string, string, string]
    const token = new URL(request.url).searchParams.get("token") ?? ""
    switch (request.method) {
      case "GET":
      case "HEAD":
        return answer(
          Effect.gen(function*() {
            const files = yield* Files
            const variant = new URL(request.url).searchParams.get("size") === "thumbnail" ? "thumbnail" : "original"
            // Score's addition: without a file token, the caller's own access token or API key reads its workspace's
            // files, when its role reads every record unrestricted (a file may belong to a record the role may not see).
            const bearer = token === "" ? bearerToken(request.headers.get("authorization")) : null
            if (bearer === null) return yield* files.open(token, folder, fileId, variant)
            const caller = yield* Effect.flatMap(Auth, (auth) => auth.authenticate(bearer))
            if (caller.kind === "workspaceAgnostic") return yield* new Forbidden({ message: "This file needs a workspace token" })
            const metadata = yield* Effect.flatMap(Metadata, (m) => m.get(caller.workspace.id))
            const access = yield* Effect.flatMap(Permissions, (p) => p.accessFor(caller, metadata))
            if (!access.unrestricted) return yield* new Forbidden({ message: "This file needs a file token" })
            return yield* files.openInWorkspace(caller.workspace.id, folder, fileId, variant)
          }),
          ({ file, stream, size, mimeType }) => {
            if (request.method === "HEAD") void stream.cancel()
            return new Response(request.method === "HEAD" ? null : stream, {
              headers: {
                ...headers,
                "content-type": mimeType,
                "content-length": String(size),
                "content-disposition": contentDisposition(mimeType, file.name),
                "cache-control": "private, max-age=3600",
                "content-security-policy": "default-src 'none'; sandbox"
              }
            })
          },
          headers
        )
      case "PUT": {
        const declared = request.headers.get("content-length")
        if (declared === null || !/^\d+$/.test(declared)) {
          return Promise.resolve(json(411, { statusCode: 411, error: "LengthRequiredException", messages: ["Content-Length is required"] }, headers))
        }
        const body = request.body ?? new Response(new Uint8Array(0)).body!
        return answer(
          Effect.flatMap(Files, (files) => files.receiveUpload(token, folder, fileId, { stream: body, size: Number(declared) })),
          (file) => json(200, { fileId: file.id, size: file.size }, headers),
          headers
        )
      }
      case "OPTIONS":
        return Promise.resolve(new Response(null, {
          status: 204,
          headers: { ...headers, "access-control-allow-methods": "GET, HEAD, PUT", "access-control-allow-headers": "content-type", "access-control-max-age": "600" }
        }))
      default:
        return Promise.resolve(json(405, { statusCode: 405, error: "MethodNotAllowedException", messages: ["Method not allowed"] }, headers))
    }
  }
})
