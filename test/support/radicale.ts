import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import path from "node:path"
import { freePort } from "./process.js"

const RADICALE = ["/usr/bin/radicale", "radicale"].find((candidate) => {
  try {
    execFileSync(candidate, ["--version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})

export const hasRadicale = RADICALE !== undefined

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1")
    socket.once("connect", () => { socket.destroy(); resolve(true) })
    socket.once("error", () => resolve(false))
  })

/**
 * A real Radicale CalDAV server (Debian `radicale`) for one test file: its own config, htpasswd users
 * (plain) and collection storage in a temp dir, on a free port of 127.0.0.1, no system service.
 */
export const startRadicale = async (users: Record<string, string>) => {
  if (!RADICALE) throw new Error("radicale is not installed (bash scripts/setup.sh --services installs it)")
  const dir = mkdtempSync(path.join(tmpdir(), "score-radicale-"))
  const port = await freePort()
  const writeUsers = () => writeFileSync(path.join(dir, "users"), Object.entries(users).map(([u, p]) => `${u}:${p}`).join("\n") + "\n")
  writeUsers()
  writeFileSync(path.join(dir, "config"), `
[server]
hosts = 127.0.0.1:${port}
[auth]
type = htpasswd
htpasswd_filename = ${dir}/users
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = ${dir}/collections
[logging]
level = warning
[web]
type = none
`)
  let child: ChildProcess | null = null
  const start = async () => {
    child = spawn(RADICALE, ["--config", path.join(dir, "config")], { stdio: ["ignore", "ignore", "ignore"] })
    const deadline = Date.now() + 15_000
    while (!(await listening(port))) {
      if (Date.now() > deadline) throw new Error(`radicale did not listen on ${port}`)
      await Bun.sleep(50)
    }
  }
  const stop = async () => {
    const running = child
    child = null
    if (!running || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once("exit", resolve))
    running.kill("SIGKILL")
    await exited
    for (let i = 0; i < 100 && (await listening(port)); i++) await Bun.sleep(50)
  }
  await start()
  const base = `http://127.0.0.1:${port}`
  const request = async (user: string, method: string, href: string, body?: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${href}`, {
      method,
      headers: { authorization: `Basic ${btoa(`${user}:${users[user]}`)}`, ...headers },
      ...(body === undefined ? {} : { body })
    })
    if (response.status >= 400) throw new Error(`${method} ${href}: ${response.status} ${await response.text()}`)
    return response
  }
  return {
    port,
    url: base,
    /** Creates a calendar collection at /user/name/. */
    makeCalendar: (user: string, name: string) =>
      request(user, "MKCALENDAR", `/${user}/${name}/`, `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>${name}</D:displayname></D:prop></D:set></C:mkcalendar>`,
        { "content-type": "application/xml" }),
    /** Creates or replaces one calendar object (an .ics file). */
    putEvent: (user: string, calendar: string, file: string, ics: string) =>
      request(user, "PUT", `/${user}/${calendar}/${file}`, ics, { "content-type": "text/calendar; charset=utf-8" }),
    deleteEvent: (user: string, calendar: string, file: string) => request(user, "DELETE", `/${user}/${calendar}/${file}`),
    /**
     * Writes objects straight into an existing calendar's storage folder, as Radicale keeps them (one file
     * each): what a thousand PUTs would leave, in a fraction of their time (a PUT costs Radicale ~80 ms).
     */
    seedEvents: (user: string, calendar: string, files: Record<string, string>) => {
      const folder = path.join(dir, "collections", "collection-root", user, calendar)
      if (!existsSync(folder)) throw new Error(`no calendar ${user}/${calendar}: makeCalendar first`)
      for (const [file, ics] of Object.entries(files)) writeFileSync(path.join(folder, file), ics)
    },
    setPassword: (user: string, password: string) => {
      users[user] = password
      writeUsers()
    },
    /** Kills the server (SIGKILL, as a crash); `restart` starts it again on the same port and storage. */
    kill: stop,
    restart: start,
    close: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export type Radicale = Awaited<ReturnType<typeof startRadicale>>

/** A VCALENDAR with one VEVENT (times in UTC), and optional overrides of a recurring series. */
export const icsEvent = (e: {
  uid: string
  summary: string
  start: Date
  end: Date
  allDay?: boolean
  location?: string
  description?: string
  url?: string
  status?: "CONFIRMED" | "CANCELLED" | "TENTATIVE"
  organizer?: { email: string; name?: string }
  attendees?: ReadonlyArray<{ email: string; name?: string; partstat?: string }>
  rrule?: string
  recurrenceId?: Date
  sequence?: number
}) => {
  const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "")
  const day = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, "")
  return [
    `UID:${e.uid}`,
    `DTSTAMP:${stamp(new Date())}`,
    ...(e.recurrenceId ? [`RECURRENCE-ID:${stamp(e.recurrenceId)}`] : []),
    e.allDay ? `DTSTART;VALUE=DATE:${day(e.start)}` : `DTSTART:${stamp(e.start)}`,
    e.allDay ? `DTEND;VALUE=DATE:${day(e.end)}` : `DTEND:${stamp(e.end)}`,
    `SUMMARY:${e.summary}`,
    ...(e.location ? [`LOCATION:${e.location}`] : []),
    ...(e.description ? [`DESCRIPTION:${e.description}`] : []),
    ...(e.url ? [`URL:${e.url}`] : []),
    ...(e.status ? [`STATUS:${e.status}`] : []),
    ...(e.rrule ? [`RRULE:${e.rrule}`] : []),
    ...(e.sequence !== undefined ? [`SEQUENCE:${e.sequence}`] : []),
    ...(e.organizer ? [`ORGANIZER${e.organizer.name ? `;CN=${e.organizer.name}` : ""}:mailto:${e.organizer.email}`] : []),
    ...(e.attendees ?? []).map((a) => `ATTENDEE${a.name ? `;CN=${a.name}` : ""};PARTSTAT=${a.partstat ?? "NEEDS-ACTION"}:mailto:${a.email}`)
  ]
}

export const icsCalendar = (...events: ReadonlyArray<ReadonlyArray<string>>) =>
  ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Score tests//EN", ...events.flatMap((lines) => ["BEGIN:VEVENT", ...lines, "END:VEVENT"]), "END:VCALENDAR", ""].join("\r\n")
