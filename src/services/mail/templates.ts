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
