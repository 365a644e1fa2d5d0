/**
 * Twenty's CRON trigger settings as a five-field cron pattern (UTC):
 * `{ type: "DAYS", schedule: { day, hour, minute } }` every `day` days, `{ type: "HOURS", schedule: { hour, minute } }`
 * every `hour` hours at `minute`, `{ type: "MINUTES", schedule: { minute } }` every `minute` minutes,
 * `{ type: "CUSTOM", pattern }` as written.
 */
import { asObject } from "./json.js"

const positive = (value: unknown) => (typeof value === "number" && Number.isInteger(value) && value > 0 ? value : null)
const within = (value: unknown, max: number) =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max ? value : null

export const cronPattern = (settings: Readonly<Record<string, unknown>>): string | null => {
  const schedule = asObject(settings["schedule"])
  switch (settings["type"]) {
    case "CUSTOM":
      return typeof settings["pattern"] === "string" ? settings["pattern"] : null
    case "MINUTES": {
      const every = positive(schedule["minute"])
      return every === null ? null : `*/${every} * * * *`
    }
    case "HOURS": {
      const every = positive(schedule["hour"])
      const minute = within(schedule["minute"], 59)
      return every === null || minute === null ? null : `${minute} */${every} * * *`
    }
    case "DAYS": {
      const every = positive(schedule["day"])
      const hour = within(schedule["hour"], 23)
      const minute = within(schedule["minute"], 59)
      return every === null || hour === null || minute === null ? null : `${minute} ${hour} */${every} * *`
    }
    default:
      return typeof settings["pattern"] === "string" ? settings["pattern"] : null
  }
}
