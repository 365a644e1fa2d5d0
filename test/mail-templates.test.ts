/** Mail templates: both parts carry the link, and every value is escaped in the HTML part. */
import { expect, test } from "bun:test"
import { lifetimeInWords } from "../src/services/auth/secret-tokens.js"
import {
  emailVerificationMail,
  invitationMail,
  passwordChangedMail,
  passwordResetMail,
  twoFactorRecoveryCodeIssuedMail,
  twoFactorResetMail
} from "../src/services/mail/index.js"
import { Duration } from "effect"
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

test("reset, password-changed, verification and two-factor notice mails carry the link in both parts, escaped in HTML", () => {
  const link = "https://app.example.com/verify-email?emailVerificationToken=t0k&email=a%2Bb%40x.io"
  for (
    const mail of [
      passwordResetMail({ link, validFor: "5 minutes" }),
      emailVerificationMail({ link }),
      passwordChangedMail({ email: "<a@b.c>", link }),
      twoFactorRecoveryCodeIssuedMail({ email: "<a@b.c>", issuer: "<a@b.c>", validFor: "1 day", link }),
      twoFactorResetMail({ email: "<a@b.c>", link })
    ]
  ) {
    expect(mail.text).toContain(link)
    expect(mail.html).toContain(`href="${link.replace(/&/g, "&amp;")}"`)
    expect(mail.html).not.toContain("<a@b.c>")
  }
  expect(passwordResetMail({ link, validFor: "5 minutes" }).subject).toBe("Action Needed to Reset Password")
  expect(emailVerificationMail({ link }).subject).toBe("Welcome to Score: Please Confirm Your Email")
})

test("token lifetimes in words", () => {
  expect(lifetimeInWords(Duration.decode("5 minutes"))).toBe("5 minutes")
  expect(lifetimeInWords(Duration.decode("1 hour"))).toBe("1 hour")
  expect(lifetimeInWords(Duration.decode("2 days"))).toBe("2 days")
  expect(lifetimeInWords(Duration.decode("90 minutes"))).toBe("90 minutes")
  expect(lifetimeInWords(Duration.decode("1 second"))).toBe("1 second")
  expect(lifetimeInWords(Duration.decode("30 seconds"))).toBe("30 seconds")
})
