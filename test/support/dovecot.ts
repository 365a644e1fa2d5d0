import { spawn, type ChildProcess, execFileSync } from "node:child_process"
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir, userInfo } from "node:os"
import path from "node:path"
import { ImapFlow } from "imapflow"

const DOVECOT = ["/usr/sbin/dovecot", "dovecot"].find((candidate) => {
  try {
    execFileSync(candidate, ["--version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})

export const hasDovecot = DOVECOT !== undefined

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })

const waitForPort = async (port: number, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = require("node:net").connect(port, "127.0.0.1")
      socket.once("connect", () => { socket.destroy(); resolve(true) })
      socket.once("error", () => resolve(false))
    })
    if (open) return
    await Bun.sleep(50)
  }
  throw new Error(`dovecot did not listen on ${port}`)
}

/**
 * A real Dovecot IMAP server (Debian `dovecot-imapd`) for one test file: its own config, users, maildirs
 * and log in a temp dir, listening on a free port of 127.0.0.1, plaintext logins, no system service.
 * As root, mail is owned by the `dovecot` user (Dovecot refuses UID 0).
 */
export const startDovecot = async (users: Record<string, string>) => {
  if (!DOVECOT) throw new Error("dovecot is not installed (bash scripts/setup.sh --services installs it)")
  const dir = mkdtempSync(path.join(tmpdir(), "score-dovecot-"))
  const port = await freePort()
  const root = process.getuid?.() === 0
  const owner = root ? { name: "dovecot", uid: Number(execFileSync("id", ["-u", "dovecot"]).toString()), gid: Number(execFileSync("id", ["-g", "dovecot"]).toString()) } : { name: userInfo().username, uid: process.getuid!(), gid: process.getgid!() }
  for (const sub of ["run", "mail", "state"]) mkdirSync(path.join(dir, sub))
  writeFileSync(path.join(dir, "users"), Object.entries(users).map(([user, password]) => `${user}:{PLAIN}${password}`).join("\n") + "\n")
  if (root) {
    chmodSync(dir, 0o755)
    for (const sub of ["mail", "state"]) chownSync(path.join(dir, sub), owner.uid, owner.gid)
  }
  writeFileSync(path.join(dir, "dovecot.conf"), `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%u
first_valid_uid = ${owner.uid}
default_login_user = ${root ? "dovenull" : owner.name}
default_internal_user = ${root ? "dovecot" : owner.name}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${owner.uid} gid=${owner.gid} home=${dir}/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
  mailbox Archive {
    special_use = \\Archive
    auto = create
  }
  mailbox Trash {
    special_use = \\Trash
    auto = create
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
protocol imap {
  mail_max_userip_connections = 50
}
`)
  let child: ChildProcess | null = null
  const start = async () => {
    // its own process group, so a kill takes its login, auth and imap processes too
    child = spawn(DOVECOT, ["-F", "-c", path.join(dir, "dovecot.conf")], { stdio: ["ignore", "ignore", "ignore"], detached: true })
    await waitForPort(port)
  }
  const stop = async () => {
    const running = child
    child = null
    if (!running || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once("exit", resolve))
    try {
      process.kill(-running.pid!, "SIGKILL")
    } catch {
      running.kill("SIGKILL")
    }
    await exited
    // the master's children go with it; wait until the port is free again
    for (let i = 0; i < 100; i++) {
      const busy = await new Promise<boolean>((resolve) => {
        const socket = require("node:net").connect(port, "127.0.0.1")
        socket.once("connect", () => { socket.destroy(); resolve(true) })
        socket.once("error", () => resolve(false))
      })
      if (!busy) return
      await Bun.sleep(50)
    }
    throw new Error(`dovecot still listens on ${port} after being killed`)
  }
  await start()
  const client = async (user: string) => {
    const imap = new ImapFlow({ host: "127.0.0.1", port, secure: false, auth: { user, pass: users[user]! }, logger: false })
    imap.on("error", () => {})
    await imap.connect()
    return imap
  }
  return {
    port,
    dir,
    /** Delivers a raw message into `user`'s folder through IMAP APPEND. */
    append: async (user: string, folder: string, raw: string) => {
      const imap = await client(user)
      try {
        await imap.append(folder, raw)
      } finally {
        await imap.logout()
      }
    },
    /** Delivers many raw messages through one IMAP session. */
    appendMany: async (user: string, folder: string, raws: ReadonlyArray<string>) => {
      const imap = await client(user)
      try {
        for (const raw of raws) await imap.append(folder, raw)
      } finally {
        await imap.logout()
      }
    },
    /** Replaces a user's password (Dovecot re-reads its passwd-file when it changes, checking at most once a second). */
    setPassword: async (user: string, password: string) => {
      users[user] = password
      writeFileSync(path.join(dir, "users"), Object.entries(users).map(([u, p]) => `${u}:{PLAIN}${p}`).join("\n") + "\n")
      await Bun.sleep(1100)
    },
    /** An IMAP session as `user`, for moves and deletions. */
    client,
    /** Kills the server (SIGKILL, as a crash) and, with `restart`, starts it again on the same port and mail. */
    kill: stop,
    restart: start,
    close: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export type Dovecot = Awaited<ReturnType<typeof startDovecot>>

/** A plain RFC 5322 message. */
export const rawMail = (m: { from: string; to: ReadonlyArray<string>; cc?: ReadonlyArray<string>; subject: string; body?: string; messageId: string; inReplyTo?: string; references?: ReadonlyArray<string>; date?: Date }) =>
  [
    `From: ${m.from}`,
    `To: ${m.to.join(", ")}`,
    ...(m.cc?.length ? [`Cc: ${m.cc.join(", ")}`] : []),
    `Subject: ${m.subject}`,
    `Message-ID: ${m.messageId}`,
    ...(m.inReplyTo ? [`In-Reply-To: ${m.inReplyTo}`] : []),
    ...(m.references?.length ? [`References: ${m.references.join(" ")}`] : []),
    `Date: ${(m.date ?? new Date()).toUTCString()}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    m.body ?? `Body of ${m.subject}`,
    ""
  ].join("\r\n")
