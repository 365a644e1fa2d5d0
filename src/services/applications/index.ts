/**
 * Twenty apps (Twenty's application, application-sync and application-registration modules, as the `twenty`
 * CLI of twenty-sdk 2.43 drives them): a workspace's development applications, their uploaded built files,
 * and syncApplication, which plans a manifest against what the app last applied (plan.ts) and applies the
 * plan in one transaction (apply.ts). Uninstalling removes what the app owns.
 */
import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Schema } from "effect"
import { BadUserInput, NotFound } from "../../domain/errors.js"
import { AppConfig } from "../../platform/config.js"
import { ApiKeys } from "../api-keys/index.js"
import { Files } from "../files/index.js"
import { type ServedFolder, isServedFolder } from "../files/names.js"
import { FunctionDependencies, FunctionEnvironment } from "../logic-functions/index.js"
import { Metadata } from "../metadata/index.js"
import { Revocations } from "../revocations/index.js"
import { Roles } from "../roles/index.js"
import { Views } from "../views/index.js"
import { workspaceCacheKey } from "../workspace/index.js"
import { applyAction, emptyEntities, type Entities } from "./apply.js"
import { AppDependencies, appDependencies, installDependencies } from "./dependencies.js"
import { Manifest } from "./manifest.js"
import { type Action, planSync } from "./plan.js"
import * as store from "./store.js"
import { unpackTarball } from "./tarball.js"

export interface FileUploadRequest {
  readonly fileFolder: string
  readonly filePath: string
  readonly size: number
}

export interface ApplicationsShape {
  readonly register: (workspaceId: string, input: { readonly name: string; readonly universalIdentifier?: string | null }) => Effect.Effect<store.RegistrationRow, any>
  readonly findRegistration: (workspaceId: string, universalIdentifier: string) => Effect.Effect<store.RegistrationRow | null, any>
  readonly createDevelopment: (workspaceId: string, universalIdentifier: string, name: string) => Effect.Effect<store.ApplicationRow, any>
  readonly createFileUploads: (workspaceId: string, universalIdentifier: string, files: ReadonlyArray<FileUploadRequest>) => Effect.Effect<{
    readonly targets: ReadonlyArray<Record<string, unknown>>
    readonly errors: ReadonlyArray<Record<string, unknown>>
  }, any>
  readonly completeFileUploads: (workspaceId: string, universalIdentifier: string, fileIds: ReadonlyArray<string>) => Effect.Effect<{
    readonly files: ReadonlyArray<Record<string, unknown>>
    readonly errors: ReadonlyArray<Record<string, unknown>>
  }, any>
  readonly sync: (workspaceId: string, manifest: unknown, dryRun: boolean, inferDeletion?: boolean) => Effect.Effect<{ readonly applicationUniversalIdentifier: string; readonly actions: ReadonlyArray<Action> }, any>
  readonly uninstall: (workspaceId: string, universalIdentifier: string) => Effect.Effect<boolean, any>
  /** A published tarball (`app:publish --private`) registered under the universal identifier of its manifest. */
  readonly completeTarball: (workspaceId: string, fileId: string) => Effect.Effect<store.RegistrationRow, any>
  /** Installs the registration's newest tarball: its manifest synced with the tarball's built files. */
  readonly install: (workspaceId: string, universalIdentifier: string) => Effect.Effect<store.ApplicationRow, any>
}

export class Applications extends Context.Tag("score/Applications")<Applications, ApplicationsShape>() {}

const notFound = (universalIdentifier: string) =>
  new NotFound({ message: `Application ${universalIdentifier} not found in workspace`, subCode: "APPLICATION_NOT_FOUND" })

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const ApplicationsLive = Layer.effect(
  Applications,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const files = yield* Files
    const metadata = yield* Metadata
    const roles = yield* Roles
    const views = yield* Views
    const apiKeys = yield* ApiKeys
    const revocations = yield* Revocations
    const config = yield* AppConfig
    const provided = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) => Effect.provideService(effect, SqlClient.SqlClient, sql)

    const existing = (workspaceId: string, universalIdentifier: string) =>
      UUID.test(universalIdentifier)
        ? Effect.flatMap(provided(store.findApplication(workspaceId, universalIdentifier)), (row) => (row ? Effect.succeed(row) : Effect.fail(notFound(universalIdentifier))))
        : Effect.fail(notFound(universalIdentifier))

    const builtFile = (workspaceId: string, applicationId: string) => (path: string) =>
      Effect.gen(function*() {
        const file = yield* provided(store.findCompleteFile(applicationId, path))
        if (!file) return yield* new BadUserInput({ message: `File ${path} was not uploaded` })
        const opened = yield* files.openInWorkspace(workspaceId, file.folder, file.fileId)
        return yield* Effect.promise(() => new Response(opened.stream).text())
      }).pipe(Effect.catchAll((e) => Effect.fail(e instanceof BadUserInput ? e : new BadUserInput({ message: `File ${path} cannot be read` }))))

    /** The app's package.json and yarn.lock as uploaded (folder Dependencies); null without dependencies. */
    const uploadedDependencies = (read: (path: string) => Effect.Effect<string, BadUserInput>) =>
      Effect.gen(function*() {
        const packageJson = yield* Effect.option(read("package.json"))
        if (packageJson._tag === "None") return null
        const yarnLock = yield* Effect.option(read("yarn.lock"))
        return yield* appDependencies(packageJson.value, yarnLock._tag === "Some" ? yarnLock.value : null)
      })

    /** The app's API key (its default role's), for its functions' token; made once the role exists. */
    const appApiKey = (workspaceId: string, app: store.ApplicationRow, manifest: Manifest, entities: Entities) =>
      Effect.gen(function*() {
        const roleId = entities.role[manifest.application.defaultRoleUniversalIdentifier ?? ""] ?? null
        if (app.apiKeyId || !roleId) return app.apiKeyId
        const key = yield* apiKeys.create(workspaceId, { name: `${manifest.application.displayName} (app)`, expiresAt: "2999-12-31T00:00:00.000Z", roleId })
        return key.id
      })

    const sync = (
      workspaceId: string,
      raw: unknown,
      dryRun: boolean,
      inferDeletion: boolean,
      filesOf: (app: store.ApplicationRow) => (path: string) => Effect.Effect<string, BadUserInput> = (app) => builtFile(workspaceId, app.id)
    ) =>
      Effect.gen(function*() {
        const manifest = yield* Schema.decodeUnknown(Manifest)(raw).pipe(
          Effect.mapError((e) => new BadUserInput({ message: `Invalid manifest: ${e.message.split("\n").slice(0, 4).join(" ")}` }))
        )
        const uid = manifest.application.universalIdentifier
        const app = yield* existing(workspaceId, uid)
        const previous = app.manifest === null ? null : Schema.decodeUnknownOption(Manifest)(app.manifest).pipe((o) => (o._tag === "Some" ? o.value : null))
        const actions = planSync(previous, manifest, inferDeletion)
        if (dryRun) return { applicationUniversalIdentifier: uid, actions }
        const stored = app.entities as Partial<Entities> | null
        const entities: Entities = { ...emptyEntities(), ...(stored ?? {}) }
        const deleted = (name: string) => new Set(actions.filter((a) => a.type === "delete" && a.metadataName === name).map((a) => a.universalIdentifier))
        const deletedObjects = deleted("objectMetadata")
        const deletedViews = deleted("view")
        const deps = { workspaceId, applicationId: app.id, metadata, roles, views, builtFile: filesOf(app) }
        // Installed before the transaction (it may take a while); a failed install applies nothing.
        const dependencies = yield* uploadedDependencies(deps.builtFile)
        if (dependencies) yield* installDependencies(config.dataDir, dependencies, config.appDependenciesInstallTimeout)
        yield* provided(sql.withTransaction(Effect.gen(function*() {
          for (const action of actions) yield* applyAction(deps, entities, action, deletedObjects, deletedViews)
          const apiKeyId = yield* appApiKey(workspaceId, app, manifest, entities)
          yield* store.saveApplied(app.id, manifest, entities, apiKeyId, dependencies)
        })))
        // The metadata changes invalidated caches as they went; once more now that all of them are committed.
        yield* revocations.invalidate(workspaceCacheKey(workspaceId))
        return { applicationUniversalIdentifier: uid, actions }
      }).pipe(Effect.withSpan("Applications.sync", { attributes: { dryRun } }))

    const tarballFiles = (workspaceId: string, fileId: string) =>
      Effect.gen(function*() {
        const opened = yield* files.openInWorkspace(workspaceId, "AppTarball", fileId)
        const bytes = new Uint8Array(yield* Effect.promise(() => new Response(opened.stream).arrayBuffer()))
        const unpacked = unpackTarball(bytes)
        const manifestText = unpacked?.get("manifest.json")
        if (!unpacked || manifestText === undefined) return yield* new BadUserInput({ message: "The tarball holds no built app (manifest.json)" })
        const manifest = yield* Effect.try({ try: () => JSON.parse(manifestText) as unknown, catch: () => new BadUserInput({ message: "The tarball's manifest.json is not JSON" }) })
        const decoded = yield* Schema.decodeUnknown(Manifest)(manifest).pipe(Effect.mapError(() => new BadUserInput({ message: "The tarball's manifest.json is not an app manifest" })))
        return { unpacked, manifest, decoded }
      })

    return {
      register: (workspaceId, input) =>
        Effect.gen(function*() {
          const uid = input.universalIdentifier ?? crypto.randomUUID()
          if (!UUID.test(uid)) return yield* new BadUserInput({ message: "universalIdentifier must be a UUID" })
          const row = yield* provided(store.insertRegistration(workspaceId, uid, input.name))
          if (!row) return yield* new BadUserInput({ message: `Universal identifier ${uid} is already claimed`, subCode: "UNIVERSAL_IDENTIFIER_ALREADY_CLAIMED" })
          return row
        }),
      findRegistration: (workspaceId, uid) => (UUID.test(uid) ? provided(store.findRegistration(workspaceId, uid)) : Effect.succeed(null)),
      createDevelopment: (workspaceId, uid, name) =>
        UUID.test(uid)
          ? provided(store.insertApplication(workspaceId, uid, name, "LOCAL"))
          : Effect.fail(new BadUserInput({ message: "universalIdentifier must be a UUID" })),
      createFileUploads: (workspaceId, uid, requests) =>
        Effect.gen(function*() {
          const app = yield* existing(workspaceId, uid)
          const targets: Array<Record<string, unknown>> = []
          const errors: Array<Record<string, unknown>> = []
          for (const request of requests) {
            const outcome = yield* Effect.either(Effect.gen(function*() {
              const target = yield* files.createUpload(workspaceId, { filename: request.filePath.split("/").pop() ?? "file", size: request.size, folder: request.fileFolder, fieldMetadataId: null })
              yield* provided(store.insertFile(workspaceId, app.id, target.fileId, request.fileFolder, request.filePath))
              return target
            }))
            if (outcome._tag === "Right") {
              targets.push({ ...outcome.right, fileFolder: request.fileFolder, filePath: request.filePath, expiresAt: outcome.right.expiresAt.toISOString() })
            } else {
              errors.push({ fileFolder: request.fileFolder, filePath: request.filePath, message: "message" in outcome.left ? String(outcome.left.message) : "Upload refused" })
            }
          }
          return { targets, errors }
        }),
      completeFileUploads: (workspaceId, uid, fileIds) =>
        Effect.gen(function*() {
          const app = yield* existing(workspaceId, uid)
          const done: Array<Record<string, unknown>> = []
          const errors: Array<Record<string, unknown>> = []
          for (const fileId of fileIds) {
            const outcome = yield* Effect.either(Effect.gen(function*() {
              const row = yield* provided(store.completeFile(app.id, fileId))
              if (!row || !isServedFolder(row.folder)) return yield* new NotFound({ message: "File not found" })
              const signed = yield* files.complete(workspaceId, fileId, row.folder as ServedFolder)
              return { id: fileId, path: row.path, size: signed.size, createdAt: signed.createdAt.toISOString() }
            }))
            if (outcome._tag === "Right") done.push(outcome.right)
            else errors.push({ fileId, message: "message" in outcome.left ? String(outcome.left.message) : "Upload not completed" })
          }
          return { files: done, errors }
        }),
      sync: (workspaceId, raw, dryRun, inferDeletion = true) => sync(workspaceId, raw, dryRun, inferDeletion),
      completeTarball: (workspaceId, fileId) =>
        Effect.gen(function*() {
          if (!UUID.test(fileId)) return yield* new NotFound({ message: "File not found" })
          yield* files.complete(workspaceId, fileId, "AppTarball")
          const { decoded } = yield* tarballFiles(workspaceId, fileId)
          return yield* provided(store.upsertTarballRegistration(workspaceId, decoded.application.universalIdentifier, decoded.application.displayName, fileId))
        }),
      install: (workspaceId, uid) =>
        Effect.gen(function*() {
          const registration = UUID.test(uid) ? yield* provided(store.findRegistration(workspaceId, uid)) : null
          if (!registration?.tarballFileId) return yield* notFound(uid)
          const { unpacked, manifest } = yield* tarballFiles(workspaceId, registration.tarballFileId)
          const app = yield* provided(store.insertApplication(workspaceId, uid, registration.name, "TARBALL"))
          const fromTarball = (path: string) => {
            const content = unpacked.get(path)
            return content === undefined ? Effect.fail(new BadUserInput({ message: `File ${path} is not in the tarball` })) : Effect.succeed(content)
          }
          yield* sync(workspaceId, manifest, false, true, () => fromTarball)
          return app
        }),
      uninstall: (workspaceId, uid) =>
        Effect.gen(function*() {
          const app = yield* existing(workspaceId, uid)
          const entities: Entities = { ...emptyEntities(), ...((app.entities as Partial<Entities> | null) ?? {}) }
          yield* sql.withTransaction(Effect.gen(function*() {
            if (app.apiKeyId) yield* apiKeys.revoke(workspaceId, app.apiKeyId)
            // The app's views (with their parts) before its objects; one its user already removed is skipped.
            for (const id of Object.values(entities.view)) {
              yield* views.destroyView({ kind: "application", workspace: { id: workspaceId } }, id).pipe(Effect.catchTag("NotFound", () => Effect.void))
            }
            for (const id of Object.values(entities.objectMetadata)) yield* metadata.deleteObject(workspaceId, id)
            for (const id of Object.values(entities.role)) yield* roles.remove(workspaceId, id)
            // The app's logic functions and files' rows go with it (ON DELETE CASCADE).
            yield* provided(store.deleteApplication(app.id))
          }))
          yield* revocations.invalidate(workspaceCacheKey(workspaceId))
          return true
        })
    }
  })
)

/** An app's function gets the server's URL and a short-lived token of its app's API key (its default role). */
export const ApplicationFunctionEnvironment = Layer.effect(
  FunctionEnvironment,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const apiKeys = yield* ApiKeys
    const config = yield* AppConfig
    return {
      of: (fn) =>
        Effect.gen(function*() {
          const app = fn.applicationId ? yield* Effect.provideService(store.findApplicationById(fn.applicationId), SqlClient.SqlClient, sql) : null
          const env: Record<string, string> = { TWENTY_API_URL: config.serverUrl.origin }
          if (app?.apiKeyId) {
            const expiresAt = new Date(Date.now() + (fn.timeoutSeconds + 60) * 1000).toISOString()
            const token = yield* apiKeys.generateToken(fn.workspaceId, app.apiKeyId, expiresAt)
            env.TWENTY_APP_ACCESS_TOKEN = token.token
            env.TWENTY_APP_APPLICATION_ACCESS_TOKEN = token.token
          }
          return env
        }).pipe(Effect.orElseSucceed(() => ({ TWENTY_API_URL: config.serverUrl.origin })))
    }
  })
)

/** An app's function resolves its imports from the app's installed dependencies (installed again if missing here). */
export const ApplicationFunctionDependencies = Layer.effect(
  FunctionDependencies,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const config = yield* AppConfig
    return {
      of: (fn) =>
        Effect.gen(function*() {
          if (!fn.applicationId) return null
          const app = yield* Effect.provideService(store.findApplicationById(fn.applicationId), SqlClient.SqlClient, sql).pipe(Effect.orDie)
          const dependencies = Schema.decodeUnknownOption(AppDependencies)(app?.dependencies)
          if (dependencies._tag === "None") return null
          return yield* installDependencies(config.dataDir, dependencies.value, config.appDependenciesInstallTimeout)
        })
    }
  })
)
