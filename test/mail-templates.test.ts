/** Mail templates: both parts carry the link, and every value is escaped in the HTML part. */
import { expect, test } from "bun:test"
import { invitationMail } from "../src/services/mail/index.js"
import { workspacePageUrl } from "../src/services/members/shared.js"

test("the invitation mail escapes names in HTML and keeps the link in both parts", () => {
  const link = workspacePageUrl(new URL("https://app.example.com"), "acme", "/invite/h1", { inviteToken: "t0k", email: "a+b@x.io" })
  expect(link).toBe("https://acme.app.example.com/invite/h1?inviteToken=t0k&email=a%2Bb%40x.io")
  const mail = invitationMail({
    link,
    workspaceName: `<script>alert("x")</script>`,
    sender: { firstName: "Ada & <b>", lastName: "", email: "ada@example.com" }
  })
  expect(mail.subject).toBe("Join your team on Score")
  expect(mail.text).toContain(link)
  expect(mail.text).toContain(`<script>alert("x")</script>`)
  expect(mail.html).not.toContain("<script>")
  expect(mail.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
  expect(mail.html).toContain("Ada &amp; &lt;b&gt;")
  expect(mail.html).toContain(`href="${link.replace(/&/g, "&amp;")}"`)
})

test("a sender without a name is named by their email; a workspace without a name is 'their workspace'", () => {
  const mail = invitationMail({ link: "https://x/invite/h", workspaceName: null, sender: { firstName: "", lastName: "", email: "x@y.z" } })
  expect(mail.text.split("\n")[0]).toBe("x@y.z (x@y.z) has invited you to join their workspace on Score.")
})
