import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import type { User, Workspace } from "../../domain/auth.js"
import { BadUserInput, Forbidden } from "../../domain/errors.js"
import { AppConfig } from "../../platform/config.js"
import type { QueueUnavailable } from "../../platform/queue/index.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { Tokens } from "../auth/tokens.js"
import { approvedAccessDomainValidationMail, Mailer } from "../mail/index.js"
import { isEmail, normalizeEmail, workspacePageUrl } from "./shared.js"

/** Twenty's ApprovedAccessDomain as /metadata shows it. */
export interface ApprovedAccessDomain {
  readonly id: string
  readonly domain: string
  readonly isValidated: boolean
  readonly createdAt: string
}

type Failure = Forbidden | BadUserInput | SqlError.SqlError | QueueUnavailable

export interface ApprovedAccessDomainsShape {
  /** Saves the domain unvalidated and mails the validation link to `email`, an address on that domain. */
  readonly create: (
    workspace: Workspace,
    sender: Pick<User, "firstName" | "lastName" | "email">,
    input: { readonly domain: string; readonly email: string }
  ) => Effect.Effect<ApprovedAccessDomain, Failure>
  readonly remove: (workspaceId: string, id: string) => Effect.Effect<void, Forbidden | SqlError.SqlError>
  /** The mailed token proves the mailbox: the domain of the caller's workspace becomes validated. */
  readonly validate: (
    workspaceId: string,
    input: { readonly validationToken: string; readonly approvedAccessDomainId: string }
  ) => Effect.Effect<ApprovedAccessDomain, Forbidden | SqlError.SqlError>
  readonly list: (workspaceId: string) => Effect.Effect<ReadonlyArray<ApprovedAccessDomain>, SqlError.SqlError>
}

export class ApprovedAccessDomains extends Context.Tag("score/ApprovedAccessDomains")<
  ApprovedAccessDomains,
  ApprovedAccessDomainsShape
>() {}

/** Twenty's APPROVED_ACCESS_DOMAIN_TOKEN_EXPIRES_IN. */
const VALIDATION_TOKEN_TTL = "7 days"
const COLUMNS = `id, domain, "isValidated", "createdAt"`

// Twenty's ApprovedAccessDomainException codes, all answered FORBIDDEN as its exception filter does.
const refused = (subCode: string, message: string) => new Forbidden({ message, subCode })
const notFound = () => refused("APPROVED_ACCESS_DOMAIN_NOT_FOUND", "Approved access domain not found")
const invalidToken = () => refused("APPROVED_ACCESS_DOMAIN_VALIDATION_TOKEN_INVALID", "Invalid approved access domain validation token")

/** Public mail providers: a domain anyone can get an address on grants nothing (Twenty's isWorkDomain). */
const PUBLIC_MAIL_DOMAINS = new Set([
  "gmail.com", "googlemail.com", "yahoo.com", "yahoo.fr", "yahoo.co.uk", "ymail.com", "hotmail.com", "hotmail.fr",
  "hotmail.co.uk", "outlook.com", "outlook.fr", "live.com", "live.fr", "msn.com", "aol.com", "icloud.com", "me.com",
  "mac.com", "proton.me", "protonmail.com", "pm.me", "gmx.com", "gmx.de", "gmx.net", "mail.com", "yandex.com",
  "yandex.ru", "mail.ru", "zoho.com", "fastmail.com", "tutanota.com", "qq.com", "163.com", "126.com", "web.de",
  "orange.fr", "free.fr", "laposte.net", "hey.com"
])
const HOSTNAME = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/

export const emailDomainOf = (email: string) => normalizeEmail(email).split("@").at(-1) ?? ""

/** Twenty's checkAccessForSignIn way in: `email` is on one of the workspace's validated domains. */
export const isOnValidatedDomain = (sql: SqlClient.SqlClient, workspaceId: string, email: string) =>
  Effect.map(
    sql`SELECT 1 FROM core."approvedAccessDomain"
        WHERE "workspaceId" = ${workspaceId} AND domain = ${emailDomainOf(email)} AND "isValidated" LIMIT 1`,
    (rows) => rows.length > 0
  )

export const ApprovedAccessDomainsLive = Layer.effect(
  ApprovedAccessDomains,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const tokens = yield* Tokens
    const mailer = yield* Mailer
    const config = yield* AppConfig

    const findInWorkspace = (workspaceId: string, id: string) =>
      isUuid(id)
        ? Effect.map(
          sql<ApprovedAccessDomain>`SELECT ${sql.literal(COLUMNS)} FROM core."approvedAccessDomain"
            WHERE id = ${id} AND "workspaceId" = ${workspaceId}`,
          (rows) => rows[0] ?? null
        )
        : Effect.succeed(null)

    const create: ApprovedAccessDomainsShape["create"] = (workspace, sender, input) =>
      Effect.gen(function*() {
        const domain = input.domain.trim().toLowerCase()
        if (!HOSTNAME.test(domain)) return yield* new BadUserInput({ message: `Invalid domain: "${input.domain}"`, field: "domain" })
        if (PUBLIC_MAIL_DOMAINS.has(domain)) {
          return yield* refused("APPROVED_ACCESS_DOMAIN_MUST_BE_A_COMPANY_DOMAIN", "Approved access domain must be a company domain")
        }
        const email = normalizeEmail(input.email)
        if (!isEmail(email)) return yield* new BadUserInput({ message: `Invalid email: "${input.email}"`, field: "email" })
        if (emailDomainOf(email) !== domain) {
          return yield* refused("APPROVED_ACCESS_DOMAIN_DOES_NOT_MATCH_DOMAIN_EMAIL", "Approved access domain does not match email domain")
        }
        const [row] = yield* sql<ApprovedAccessDomain>`INSERT INTO core."approvedAccessDomain" ("workspaceId", domain)
          VALUES (${workspace.id}, ${domain}) ON CONFLICT DO NOTHING RETURNING ${sql.literal(COLUMNS)}`
        if (!row) return yield* refused("APPROVED_ACCESS_DOMAIN_ALREADY_REGISTERED", "Approved access domain already registered.")
        const { token } = yield* tokens.sign({
          sub: row.id,
          type: "APPROVED_ACCESS_DOMAIN",
          workspaceId: workspace.id,
          approvedAccessDomainId: row.id,
          domain
        }, VALIDATION_TOKEN_TTL)
        const link = workspacePageUrl(config.frontendUrl, workspace.subdomain, "/settings/workspace-members", {
          wtdId: row.id,
          validationToken: token
        })
        const senderName = `${sender.firstName} ${sender.lastName}`.trim() || sender.email
        yield* mailer.send({
          to: email,
          ...approvedAccessDomainValidationMail({ link, domain, workspaceName: workspace.displayName, sender }),
          from: `"${senderName.replace(/["\\<>\r\n]/g, "")} (via Score)" <${config.email.fromAddress}>`
        })
        return row
      }).pipe(sql.withTransaction)

    const validate: ApprovedAccessDomainsShape["validate"] = (workspaceId, input) =>
      Effect.gen(function*() {
        const payload = yield* tokens.verify(input.validationToken, ["APPROVED_ACCESS_DOMAIN"]).pipe(
          Effect.mapError(invalidToken)
        )
        if (payload.approvedAccessDomainId !== input.approvedAccessDomainId) return yield* invalidToken()
        const found = yield* findInWorkspace(workspaceId, input.approvedAccessDomainId)
        if (!found) return yield* notFound()
        if (payload.workspaceId !== workspaceId || payload.domain !== found.domain) return yield* invalidToken()
        const [updated] = yield* sql<ApprovedAccessDomain>`UPDATE core."approvedAccessDomain"
          SET "isValidated" = true, "updatedAt" = now()
          WHERE id = ${found.id} AND NOT "isValidated" RETURNING ${sql.literal(COLUMNS)}`
        if (!updated) {
          return yield* refused("APPROVED_ACCESS_DOMAIN_ALREADY_VALIDATED", "Approved access domain has already been validated")
        }
        return updated
      })

    return {
      create,
      validate,
      remove: (workspaceId, id) =>
        isUuid(id)
          ? Effect.flatMap(
            sql`DELETE FROM core."approvedAccessDomain" WHERE id = ${id} AND "workspaceId" = ${workspaceId} RETURNING id`,
            (rows) => rows.length > 0 ? Effect.void : Effect.fail(notFound())
          )
          : Effect.fail(notFound()),
      list: (workspaceId) =>
        sql<ApprovedAccessDomain>`SELECT ${sql.literal(COLUMNS)} FROM core."approvedAccessDomain"
          WHERE "workspaceId" = ${workspaceId} ORDER BY "createdAt", id`
    } satisfies ApprovedAccessDomainsShape
  })
)
