/**
 * Times as the bureau reads them: in Asia/Shanghai (UTC+8, no daylight saving), whatever
 * the phone's time zone, with the formats of strings.common (`11月22日 09:30`).
 *
 * The server answers ISO 8601 with an offset; the offline queue stores UTC. Both are read
 * as instants and shown at +08:00.
 */
const strings = require('../strings')

const BUREAU_OFFSET_MS = 8 * 3600 * 1000

const pad = (n) => String(n).padStart(2, '0')

/** The calendar fields of an instant (ISO string, Date or ms) at +08:00, or null. */
function parts(value) {
  if (value === null || value === undefined || value === '') return null
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value)
  if (Number.isNaN(ms)) return null
  const d = new Date(ms + BUREAU_OFFSET_MS)
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: pad(d.getUTCHours()), minute: pad(d.getUTCMinutes()),
  }
}

/** `11月22日 09:30`, or '' for no time. */
function dateTime(value) {
  const p = parts(value)
  return p ? strings.format(strings.common.dateTime, p) : ''
}

/** `11月22日`, or ''. */
function date(value) {
  const p = parts(value)
  return p ? strings.format(strings.common.date, p) : ''
}

/** `09:30`, or ''. */
function clock(value) {
  const p = parts(value)
  return p ? `${p.hour}:${p.minute}` : ''
}

/** `2026-11-22` at +08:00 (for date pickers), or ''. */
function isoDate(value) {
  const p = parts(value)
  return p ? `${p.year}-${pad(p.month)}-${pad(p.day)}` : ''
}

/** The instant of a bureau-local date (`2026-11-22`) and time (`09:30`), as ISO with +08:00. */
function bureauIso(day, hhmm) {
  return `${day}T${hhmm}:00+08:00`
}

/** Hours from minutes, one decimal, without a trailing `.0` (`90` → `1.5`, `120` → `2`). */
function hours(minutes) {
  const value = Math.round(((minutes || 0) / 60) * 10) / 10
  return String(value)
}

module.exports = { parts, dateTime, date, clock, isoDate, bureauIso, hours }
