import { Effect } from "effect"
import { GraphQLError, GraphQLScalarType } from "graphql"
import type { Workspace } from "../../../domain/auth.js"
import { Files, type FilesFailure, type FilesShape, type SignedFile } from "../../../services/files/index.js"
import { enqueueFileDeletion } from "../../../services/files/jobs.js"
import type { JobQueue } from "../../../platform/queue/index.js"
import { Permissions } from "../../../services/permissions/index.js"
import { scopeOf } from "../../../services/records/actor.js"
import { Workspaces } from "../../../services/workspace/index.js"
import type { GraphQLContext } from "../yoga.js"
import { userOf, workspaceOf } from "./auth-resolvers.js"
import type { Cache } from "../../../platform/cache/index.js"
import type { Metadata } from "../../../services/metadata/index.js"
import { Records } from "../../../services/records/index.js"

/** What these resolvers run: files, the WORKSPACE flag for logos, records for a member's avatarUrl. */
export type FilesServices = Files | Permissions | Workspaces | JobQueue | Records | Metadata | Cache

type Context = GraphQLContext<FilesServices>
type Args = Record<string, any>

/** The GraphQL multipart request spec's Upload: graphql-yoga hands a File (whole pictures, under MAX_BODY_SIZE). */
export const UploadScalar = new GraphQLScalarType({
  name: "Upload",
  description: "A file sent as a part of a multipart request (GraphQL multipart request spec)",
  parseValue: (value) => {
    if (value instanceof Blob) return value
    throw new GraphQLError("Upload must be a file part of a multipart request", { extensions: { code: "BAD_USER_INPUT" } })
  },
  parseLiteral: () => {
    throw new GraphQLError("Upload must be a file part of a multipart request", { extensions: { code: "BAD_USER_INPUT" } })
  },
  serialize: () => {
    throw new GraphQLError("Upload is an input type")
  }
})

/** Runs a Files operation; storage failing is the server's fault (logged, answered INTERNAL_SERVER_ERROR). */
const withFiles = <A>(run: (files: FilesShape) => Effect.Effect<A, FilesFailure>) =>
  Effect.flatMap(Files, run).pipe(Effect.catchTag("StorageFailure", (e) => Effect.die(e)))

const incoming = (file: Blob) => ({ name: file instanceof File ? file.name : "file", size: file.size, stream: file.stream() })

const answer = (file: SignedFile) => ({ ...file, createdAt: file.createdAt.toISOString() })

/** The workspace's logo becomes `file`; the previous one is deleted (through the files queue). */
const setLogo = (workspace: Workspace, file: SignedFile) =>
  Effect.gen(function*() {
    yield* Effect.flatMap(Workspaces, (w) => w.update(workspace.id, { logoFileId: file.id }))
    const previous = workspace.logoFileId
    if (previous && previous !== file.id) yield* enqueueFileDeletion(workspace.id, [previous])
    return answer(file)
  })

const withLogoPermission = async <A>(ctx: Context, run: (workspace: Workspace) => Effect.Effect<A, any, FilesServices>) => {
  const auth = await workspaceOf(ctx)
  return ctx.run(Effect.gen(function*() {
    yield* Effect.flatMap(Permissions, (p) => p.requireFlag(auth, "WORKSPACE"))
    const workspace = (yield* Effect.flatMap(Workspaces, (w) => w.findById(auth.workspace.id))) ?? auth.workspace
    return yield* run(workspace)
  }))
}

/** The caller's workspaceMember shows `file` as its avatar. */
const setAvatar = async (ctx: Context, store: (workspaceId: string) => Effect.Effect<SignedFile, any, FilesServices>) => {
  const auth = await userOf(ctx)
  return ctx.run(Effect.gen(function*() {
    const file = yield* store(auth.workspace.id)
    const scope = yield* scopeOf(auth)
    if (scope.actor.workspaceMemberId) {
      const records = yield* Records
      yield* records.updateOne(scope, "workspaceMember", scope.actor.workspaceMemberId, { avatarUrl: file.url }, { fields: ["id"], relations: [] })
    }
    return answer(file)
  }))
}

export const filesResolvers = {
  Upload: UploadScalar,
  Workspace: {
    logo: async (w: Workspace, _: Args, ctx: Context) => {
      if (!w.logoFileId) return w.logo
      const signed = await ctx.run(withFiles((f) => f.signed(w.id, w.logoFileId!)))
      return signed?.url ?? w.logo
    }
  },
  Mutation: {
    createFileUpload: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      const target = await ctx.run(withFiles((f) =>
        f.createUpload(auth.workspace.id, {
          filename: args.filename,
          size: args.size,
          folder: args.fileFolder,
          // Score's fields have no separate universal identifier: a field's id serves as both.
          fieldMetadataId: args.fieldMetadataId ?? args.fieldMetadataUniversalIdentifier ?? null
        })))
      return { ...target, expiresAt: target.expiresAt.toISOString() }
    },
    completeFileUpload: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return answer(await ctx.run(withFiles((f) => f.complete(auth.workspace.id, args.fileId))))
    },
    uploadWorkspaceLogo: (_: unknown, args: Args, ctx: Context) =>
      withLogoPermission(ctx, (workspace) =>
        Effect.flatMap(withFiles((f) => f.store(workspace.id, "CorePicture", incoming(args.file))), (file) => setLogo(workspace, file))),
    completeWorkspaceLogoUpload: (_: unknown, args: Args, ctx: Context) =>
      withLogoPermission(ctx, (workspace) =>
        Effect.flatMap(withFiles((f) => f.complete(workspace.id, args.fileId, "CorePicture")), (file) => setLogo(workspace, file))),
    uploadWorkspaceMemberProfilePicture: (_: unknown, args: Args, ctx: Context) =>
      setAvatar(ctx, (workspaceId) => withFiles((f) => f.store(workspaceId, "CorePicture", incoming(args.file)))),
    completeWorkspaceMemberProfilePictureUpload: (_: unknown, args: Args, ctx: Context) =>
      setAvatar(ctx, (workspaceId) => withFiles((f) => f.complete(workspaceId, args.fileId, "CorePicture"))),
    uploadFilesFieldFileByUniversalIdentifier: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return answer(await ctx.run(withFiles((f) =>
        f.store(auth.workspace.id, "FilesField", incoming(args.file), args.fieldMetadataUniversalIdentifier))))
    }
  }
}
