/** Score's mail templates: a subject, a plain-text part and an HTML part with every value escaped. */
export interface RenderedMail {
  readonly subject: string
  readonly text: string
  readonly html: string
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")

const layout = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
  `<body style="font-family:sans-serif;color:#333;max-width:560px;margin:auto">${body}</body></html>`

export interface InvitationMailInput {
  readonly link: string
  readonly workspaceName: string | null
  readonly sender: { readonly firstName: string; readonly lastName: string; readonly email: string }
}

/** Twenty's "Join your team on Twenty", in Score's words. */
export const invitationMail = ({ link, workspaceName, sender }: InvitationMailInput): RenderedMail => {
  const senderName = `${sender.firstName} ${sender.lastName}`.trim() || sender.email
  const workspace = workspaceName?.trim() || "their workspace"
  const subject = "Join your team on Score"
  const text = [
    `${senderName} (${sender.email}) has invited you to join ${workspace} on Score.`,
    "",
    `Accept the invitation: ${link}`,
    "",
    "If you did not expect this invitation, you can ignore this email."
  ].join("\n")
  const html = layout(
    subject,
    `<h1 style="font-size:20px">Join your team</h1>` +
      `<p><b>${escapeHtml(senderName)}</b> (<a href="mailto:${escapeHtml(sender.email)}">${escapeHtml(sender.email)}</a>) ` +
      `has invited you to join <b>${escapeHtml(workspace)}</b> on Score.</p>` +
      `<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:8px 16px;background:#333;color:#fff;` +
      `text-decoration:none;border-radius:4px">Accept invitation</a></p>` +
      `<p style="color:#888;font-size:12px">If you did not expect this invitation, you can ignore this email.</p>`
  )
  return { subject, text, html }
}

const button = (link: string, label: string) =>
  `<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:8px 16px;background:#333;color:#fff;` +
  `text-decoration:none;border-radius:4px">${escapeHtml(label)}</a></p>`

const footnote = (text: string) => `<p style="color:#888;font-size:12px">${escapeHtml(text)}</p>`

/** Twenty's "Action Needed to Reset Password": the link and how long it works. */
export const passwordResetMail = ({ link, validFor }: { readonly link: string; readonly validFor: string }): RenderedMail => {
  const subject = "Action Needed to Reset Password"
  const ignore = "If you did not ask to reset your password, you can ignore this email: your password stays as it is."
  const text = [
    "A password reset was requested for your Score account.",
    "",
    `Reset your password (the link works once, for ${validFor}): ${link}`,
    "",
    ignore
  ].join("\n")
  const html = layout(
    subject,
    `<h1 style="font-size:20px">Reset your password</h1>` +
      `<p>A password reset was requested for your Score account. The link works once, for ${escapeHtml(validFor)}.</p>` +
      button(link, "Reset password") + footnote(ignore)
  )
  return { subject, text, html }
}

/** Twenty's notice after a password change, so an owner who did not ask knows at once. */
export const passwordChangedMail = ({ email, link }: { readonly email: string; readonly link: string }): RenderedMail => {
  const subject = "Your Password Has Been Successfully Changed"
  const warning = "If you did not change it, reset your password now: every session of your account has been signed out."
  const text = [`The password of your Score account ${email} has been changed.`, "", warning, "", link].join("\n")
  const html = layout(
    subject,
    `<h1 style="font-size:20px">Password changed</h1><p>The password of your Score account ` +
      `<b>${escapeHtml(email)}</b> has been changed.</p>` + footnote(warning) + button(link, "Open Score")
  )
  return { subject, text, html }
}

/** Twenty's "Please Confirm Your Email". */
export const emailVerificationMail = ({ link }: { readonly link: string }): RenderedMail => {
  const subject = "Welcome to Score: Please Confirm Your Email"
  const ignore = "If you did not create an account, you can ignore this email."
  const text = ["Confirm your email address to start using Score:", "", link, "", ignore].join("\n")
  const html = layout(
    subject,
    `<h1 style="font-size:20px">Confirm your email address</h1><p>Confirm your email address to start using Score.</p>` +
      button(link, "Verify email") + footnote(ignore)
  )
  return { subject, text, html }
}

/** Twenty's notice to a member that an administrator issued a two-factor recovery code for them. */
export const twoFactorRecoveryCodeIssuedMail = (
  { email, issuer, validFor, link }: { readonly email: string; readonly issuer: string; readonly validFor: string; readonly link: string }
): RenderedMail => {
  const subject = "A two-factor recovery code was issued for your account"
  const warning = "If you did not ask for it, tell your workspace administrator now."
  const said = `${issuer} issued a two-factor authentication recovery code for your Score account ${email}. It is valid for ${validFor} and works once.`
  const text = [said, "", warning, "", link].join("\n")
  const html = layout(
    subject,
    `<h1 style="font-size:20px">Recovery code issued</h1><p>${escapeHtml(said)}</p>` + footnote(warning) + button(link, "Open Score")
  )
  return { subject, text, html }
}

/** Twenty's notice after a recovery code was used: the member's two-factor methods are gone, their sessions ended. */
export const twoFactorResetMail = ({ email, link }: { readonly email: string; readonly link: string }): RenderedMail => {
  const subject = "Your two-factor authentication was reset"
  const warning = "If this was not you, reset your password and tell your workspace administrator now."
  const said = `A recovery code was used to sign in to your Score account ${email}: its two-factor authentication was removed and every other session signed out. Set up two-factor authentication again.`
  const text = [said, "", warning, "", link].join("\n")
  const html = layout(
    subject,
    `<h1 style="font-size:20px">Two-factor authentication reset</h1><p>${escapeHtml(said)}</p>` + footnote(warning) + button(link, "Open Score")
  )
  return { subject, text, html }
}

/** Twenty's "Approve your access domain": the member asks the domain's mailbox owner to confirm it. */
export const approvedAccessDomainValidationMail = (
  { link, domain, workspaceName, sender }: {
    readonly link: string
    readonly domain: string
    readonly workspaceName: string | null
    readonly sender: { readonly firstName: string; readonly lastName: string; readonly email: string }
  }
): RenderedMail => {
  const subject = "Approve your access domain"
  const senderName = `${sender.firstName} ${sender.lastName}`.trim() || sender.email
  const workspace = workspaceName?.trim() || "their workspace"
  const said = `${senderName} (${sender.email}) asks you to approve ${domain}: anyone with an address on it will be able to join ${workspace} on Score.`
  const ignore = "If you do not know this request, you can ignore this email: the domain stays unapproved."
  const text = [said, "", `Approve ${domain} (the link works for 7 days): ${link}`, "", ignore].join("\n")
  const html = layout(subject, `<h1 style="font-size:20px">Approve your access domain</h1><p>${escapeHtml(said)}</p>` +
    button(link, `Approve ${domain}`) + footnote(ignore))
  return { subject, text, html }
}
