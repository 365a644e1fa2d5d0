import { type CountryCode, getCountries, getCountryCallingCode, parsePhoneNumberWithError } from "libphonenumber-js"
import { badInput, QueryInputError } from "./query-builder.js"

/**
 * A PHONES input normalised as Twenty's transform-phones-value.util.ts: a number is parsed with the
 * given country / calling code (or its own `+` prefix), stored as its national number (no leading zero,
 * no spaces) with the country and calling code inferred; conflicts and unknown codes are refused.
 */

const COUNTRIES: ReadonlySet<string> = new Set(getCountries())
const COUNTRIES_BY_CALLING_CODE = new Map<string, Array<string>>()
for (const country of getCountries()) {
  const code = getCountryCallingCode(country)
  COUNTRIES_BY_CALLING_CODE.set(code, [...(COUNTRIES_BY_CALLING_CODE.get(code) ?? []), country])
}

const fail = (message: string, field: string): never => {
  throw new QueryInputError(badInput(message, field))
}

const nonEmpty = (value: unknown): value is string => typeof value === "string" && value.length > 0
const withoutPlus = (code: string) => code.replace(/\+/g, "")
const nullIfEmpty = (value: unknown) => (value === undefined || value === null ? value : nonEmpty(value) ? value : null)

interface Phone {
  readonly number?: unknown
  readonly countryCode?: unknown
  readonly callingCode?: unknown
}

const checkCodes = ({ countryCode, callingCode }: Phone, field: string) => {
  if (nonEmpty(countryCode) && !COUNTRIES.has(countryCode)) fail(`Invalid country code ${countryCode}`, field)
  if (!nonEmpty(callingCode)) return
  const countries = COUNTRIES_BY_CALLING_CODE.get(withoutPlus(callingCode)) ?? []
  if (countries.length === 0) fail(`Invalid calling code ${callingCode}`, field)
  if (nonEmpty(countryCode) && !countries.includes(countryCode)) fail("Provided country code and calling code are conflicting", field)
}

const normalisePhone = (phone: Phone, field: string) => {
  checkCodes(phone, field)
  const { number } = phone
  if (!nonEmpty(number)) {
    if (number !== undefined && number !== null && typeof number !== "string") fail(`Provided phone number is invalid ${String(number)}`, field)
    return { callingCode: nullIfEmpty(phone.callingCode), countryCode: nullIfEmpty(phone.countryCode), number: nullIfEmpty(number) }
  }
  const callingCode = nonEmpty(phone.callingCode) ? phone.callingCode : undefined
  const countryCode = nonEmpty(phone.countryCode) ? phone.countryCode : undefined
  let parsed
  try {
    parsed = parsePhoneNumberWithError(number, {
      ...(callingCode ? { defaultCallingCode: withoutPlus(callingCode) } : {}),
      ...(countryCode ? { defaultCountry: countryCode as CountryCode } : {})
    })
  } catch {
    return fail(`Provided phone number is invalid ${number}`, field)
  }
  if (nonEmpty(parsed.country) && countryCode && parsed.country !== countryCode) {
    fail("Provided and inferred country code are conflicting", field)
  }
  if (nonEmpty(parsed.countryCallingCode) && callingCode && parsed.countryCallingCode !== withoutPlus(callingCode)) {
    fail("Provided and inferred calling code are conflicting", field)
  }
  return {
    countryCode: countryCode ?? parsed.country,
    callingCode: callingCode ?? `+${parsed.countryCallingCode}`,
    number: parsed.nationalNumber as string
  }
}

const parseList = (value: unknown, field: string): Array<unknown> => {
  if (Array.isArray(value)) return value
  if (nonEmpty(value)) {
    try {
      const parsed = JSON.parse(value)
      return Array.isArray(parsed) ? parsed : []
    } catch {
      return []
    }
  }
  if (value !== undefined && value !== null && value !== "") fail(`Invalid value ${JSON.stringify(value)} for ${field}: expected a list of phones`, field)
  return []
}

/**
 * The subfields to store. As Twenty, a PHONES input always sets additionalPhones (null when none given)
 * and leaves out the primary subfields it was not given.
 */
export const normalisePhones = (input: Record<string, unknown>, field: string): Record<string, unknown> => {
  const primary = normalisePhone(
    { number: input["primaryPhoneNumber"], countryCode: input["primaryPhoneCountryCode"], callingCode: input["primaryPhoneCallingCode"] },
    field
  )
  const additional = parseList(input["additionalPhones"], `${field}.additionalPhones`).map((phone) =>
    typeof phone === "object" && phone !== null && !Array.isArray(phone)
      ? normalisePhone(phone as Phone, `${field}.additionalPhones`)
      : fail(`Invalid value ${JSON.stringify(phone)} for ${field}.additionalPhones: expected a phone object`, `${field}.additionalPhones`)
  )
  const result: Record<string, unknown> = { ...input, additionalPhones: additional.length === 0 ? null : additional }
  const set = (name: string, value: unknown) => {
    if (value === undefined) delete result[name]
    else result[name] = value
  }
  set("primaryPhoneNumber", primary.number)
  set("primaryPhoneCountryCode", primary.countryCode)
  set("primaryPhoneCallingCode", primary.callingCode)
  return result
}
