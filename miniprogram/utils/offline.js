/**
 * The offline queue of check-ins and check-outs (离线签到签退).
 *
 * A volunteer post may have no signal (a bridge, a ship, a service area's back lot), so
 * every check-in and check-out goes through this queue, online or not:
 *
 * 1. The action is written to storage (key `offline_queue`) first, with its `client_id`
 *    (made once per action and kept for every resend), the moment the member acted and
 *    the location. An app killed mid-request therefore loses nothing.
 * 2. replay() sends the queue in order, one request at a time. It runs at once for a new
 *    action, when wx.onNetworkStatusChange reports a connection, when the app shows, and
 *    before a page reads the member's shifts (the server must see the queue, in order,
 *    before it is asked what happened).
 * 3. An item leaves the queue only when the server has answered it: 200/201, or a
 *    definitive refusal (403, 404, 409, 410, 422 …), kept in `offline_failures` and shown
 *    to the member. No network, a 429 or a 5xx keep it queued and stop the pass.
 *
 * Replays are serialised: a second call while one runs joins it (and asks for one more
 * pass), so two network events never send one item twice at once. A resend after a lost
 * answer is safe: the server returns the shift a check-in `client_id` already made (200),
 * and a check-out of a shift already closed by us answers 409 `shift_not_open` with the
 * shift's status, taken here as done.
 *
 * Time: an action sent later than QUEUED_AFTER_MS after it happened (or once it has been
 * held back) carries `occurred_at`, the moment the member acted (server/shifts/schemas.py
 * LocationSchema; the server accepts it up to 24 h late and flags the shift `offline` for
 * review). A fresh online action carries none, so the server's clock stamps it.
 *
 * A check-out of a shift whose check-in is still queued names the check-in's client_id
 * (`check_in_client_id`); it is sent after the check-in, with the shift id the server gave
 * it (kept in `offline_shift_ids`). If the check-in was refused, the check-out is dropped
 * and the member told.
 */
const api = require('../api')
const strings = require('../strings')

const QUEUE_KEY = 'offline_queue'
const SHIFT_IDS_KEY = 'offline_shift_ids'
const FAILURES_KEY = 'offline_failures'
// A resend this long after the action says when it happened (the server's clock skew allowance is 2 min).
const QUEUED_AFTER_MS = 60 * 1000
// Check-in client_id → shift id entries are kept this long (the server refuses actions over 24 h late).
const SHIFT_ID_TTL_MS = 48 * 3600 * 1000
const MAX_FAILURES = 20

// --- storage ---

function read(key, fallback) {
  try {
    const value = wx.getStorageSync(key)
    return value === '' || value === undefined || value === null ? fallback : value
  } catch (e) {
    return fallback
  }
}

function write(key, value) {
  wx.setStorageSync(key, value)
}

/** The queued actions, oldest first. */
function queue() {
  const items = read(QUEUE_KEY, [])
  return Array.isArray(items) ? items : []
}

function saveQueue(items) {
  write(QUEUE_KEY, items)
}

function removeItem(clientId) {
  saveQueue(queue().filter((item) => item.client_id !== clientId))
}

function shiftIds() {
  const map = read(SHIFT_IDS_KEY, {})
  return map && typeof map === 'object' ? map : {}
}

function rememberShiftId(clientId, shiftId) {
  const now = Date.now()
  const map = shiftIds()
  Object.keys(map).forEach((key) => {
    if (!map[key] || now - map[key].at > SHIFT_ID_TTL_MS) delete map[key]
  })
  map[clientId] = { shift_id: shiftId, at: now }
  write(SHIFT_IDS_KEY, map)
}

/** The refusals the member has not dismissed yet, newest first. */
function failures() {
  const items = read(FAILURES_KEY, [])
  return Array.isArray(items) ? items : []
}

function addFailure(item, message, code) {
  const entry = {
    client_id: item.client_id,
    kind: item.kind,
    post_name: (item.post && item.post.name) || '',
    acted_at: item.acted_at,
    code: code || '',
    message,
  }
  write(FAILURES_KEY, [entry, ...failures().filter((f) => f.client_id !== item.client_id)].slice(0, MAX_FAILURES))
}

/** Forget the shown refusals. */
function clearFailures() {
  write(FAILURES_KEY, [])
}

// --- making actions ---

/** A new client_id: unique per action (time, a counter and randomness), at most 64 characters. */
let counter = 0
function newClientId() {
  counter = (counter + 1) % 1679616
  const random = () => Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')
  return `mp-${Date.now().toString(36)}-${counter.toString(36)}-${random()}${random()}`
}

/** An aware ISO 8601 time the server reads (UTC, no milliseconds). */
function isoTime(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00')
}

function locationFields(location) {
  if (!location || location.lat === undefined || location.lat === null) return {}
  const fields = { lat: location.lat, lng: location.lng }
  if (location.accuracy_m !== undefined && location.accuracy_m !== null) fields.accuracy_m = location.accuracy_m
  return fields
}

function newItem(kind, fields) {
  const now = Date.now()
  return { client_id: newClientId(), kind, acted_ms: now, acted_at: isoTime(now), queued: false, ...fields }
}

// --- sending ---

let running = null
let again = false
// client_id → [{ resolve, reject }] of the pages waiting for that action's outcome.
const waiters = {}

function networkType() {
  return new Promise((resolve) => {
    try {
      wx.getNetworkType({
        success: (res) => resolve(res.networkType),
        fail: () => resolve('unknown'),
      })
    } catch (e) {
      resolve('unknown')
    }
  })
}

/** Whether an error leaves the item queued: nothing definitive was said about it. */
function isTransient(error) {
  const status = error && error.status
  return !status || status === 401 || status === 408 || status === 429 || status >= 500
}

function body(item, now) {
  const late = item.queued || now - item.acted_ms > QUEUED_AFTER_MS
  const data = { ...locationFields(item) }
  if (late) data.occurred_at = item.acted_at
  if (item.kind === 'check_in') {
    data.token = item.token
    data.client_id = item.client_id
  }
  return data
}

function settle(clientId, method, value) {
  const list = waiters[clientId]
  if (!list) return
  delete waiters[clientId]
  list.forEach((waiter) => waiter[method](value))
}

/** Mark every queued item as held back: from now on each says when it happened. */
function markQueued() {
  const items = queue()
  if (items.some((item) => !item.queued)) saveQueue(items.map((item) => ({ ...item, queued: true })))
}

/** The shift id a check-out item closes; null when its check-in was refused, undefined while unknown. */
function shiftIdFor(item) {
  if (item.shift_id) return item.shift_id
  const known = shiftIds()[item.check_in_client_id]
  return known ? known.shift_id : undefined
}

/** Send one item; resolves the server's answer, rejects its ApiError. */
function sendItem(item) {
  const data = body(item, Date.now())
  if (item.kind === 'check_in') return api.checkIn(data, { silent: true })
  const shiftId = shiftIdFor(item)
  if (!shiftId) {
    const error = new Error(strings.offline.checkInFailed)
    error.status = 409
    error.code = 'check_in_not_synced'
    error.message = strings.offline.checkInFailed
    return Promise.reject(error)
  }
  return api.checkOut(shiftId, data, { silent: true })
}

/** A check-out refused because the shift is already closed by an earlier send of it: done. */
function alreadyCheckedOut(item, error) {
  const shift = error && error.data && error.data.error && error.data.error.shift
  return item.kind === 'check_out' && error.code === 'shift_not_open' && shift
    && (shift.status === 'pending' || shift.status === 'approved')
}

function acknowledge(item, answer) {
  if (item.kind === 'check_in' && answer && answer.data) rememberShiftId(item.client_id, answer.data.id)
  removeItem(item.client_id)
  settle(item.client_id, 'resolve', { queued: false, status: answer.status, shift: answer.data, item })
}

function refuse(item, error) {
  if (item.kind === 'check_in') rememberShiftId(item.client_id, null)
  removeItem(item.client_id)
  const waiting = Boolean(waiters[item.client_id])
  // A page waiting for this action shows the refusal itself; a replay later keeps it for the shifts page.
  if (!waiting) addFailure(item, error.message || strings.common.serverError, error.code)
  settle(item.client_id, 'reject', error)
}

/** One pass over the queue, in order; stops (stalled) at the first item the server did not answer. */
async function pass() {
  if (!queue().length) return { stalled: false }
  if ((await networkType()) === 'none') {
    markQueued()
    return { stalled: true }
  }
  for (;;) {
    const item = queue()[0]
    if (!item) return { stalled: false }
    try {
      const answer = await sendItem(item)
      acknowledge(item, answer)
    } catch (error) {
      if (alreadyCheckedOut(item, error)) {
        acknowledge(item, { status: 200, data: error.data.error.shift })
      } else if (isTransient(error)) {
        markQueued()
        return { stalled: true }
      } else {
        refuse(item, error)
      }
    }
  }
}

/**
 * Send the queue, in order. Resolves `{ remaining }` (items still queued) once done; a call
 * while a replay runs joins it, and the running replay makes one more pass for what was
 * added meanwhile. Never rejects.
 */
function replay() {
  if (running) {
    again = true
    return running
  }
  running = (async () => {
    try {
      let result
      do {
        again = false
        result = await pass()
      } while (again && !result.stalled)
    } catch (e) {
      // Storage failed: the items stay where they are for the next replay.
    }
    running = null
    // Whoever still waits has an item that stays queued: it is saved, to be sent later.
    const queuedIds = queue().map((item) => item.client_id)
    Object.keys(waiters).forEach((clientId) => {
      if (queuedIds.includes(clientId)) settle(clientId, 'resolve', { queued: true, item: queue().find((i) => i.client_id === clientId) })
    })
    return { remaining: queuedIds.length }
  })()
  return running
}

/** Queue `item` and send it with the queue; resolves its outcome (see checkIn). */
function perform(item) {
  saveQueue([...queue(), item])
  const outcome = new Promise((resolve, reject) => {
    (waiters[item.client_id] = waiters[item.client_id] || []).push({ resolve, reject })
  })
  replay()
  return outcome
}

/**
 * Check in at the post behind `token` with `location` ({lat, lng, accuracy_m} or null).
 * Resolves `{ queued: false, status, shift }` once the server took it, or `{ queued: true,
 * item }` when it waits for the network ("待同步"); rejects with the server's ApiError when
 * refused. `post` ({id, name}) is kept for showing the queued item.
 */
function checkIn({ token, location, post }) {
  return perform(newItem('check_in', { token, post: post || null, ...locationFields(location) }))
}

/**
 * Check out of shift `shiftId`, or of the queued check-in `checkInClientId`; same outcome as checkIn.
 */
function checkOut({ shiftId, checkInClientId, location, post }) {
  const fields = shiftId ? { shift_id: shiftId } : { check_in_client_id: checkInClientId }
  return perform(newItem('check_out', { ...fields, post: post || null, ...locationFields(location) }))
}

/**
 * The queued actions as the shifts page shows them ("待同步"): one row per queued check-in
 * (with its queued check-out, if any), and the queued check-outs of server shifts by id.
 */
function pendingView() {
  const items = queue()
  const checkOuts = items.filter((item) => item.kind === 'check_out')
  const rows = items.filter((item) => item.kind === 'check_in').map((item) => {
    const out = checkOuts.find((o) => o.check_in_client_id === item.client_id)
    return {
      client_id: item.client_id,
      post_name: (item.post && item.post.name) || '',
      started_at: item.acted_at,
      ended_at: out ? out.acted_at : null,
      checked_out: Boolean(out),
    }
  })
  const checkOutsByShift = {}
  checkOuts.filter((item) => item.shift_id).forEach((item) => { checkOutsByShift[item.shift_id] = item.acted_at })
  return { rows, checkOutsByShift }
}

let started = false

/** Replay whenever the network comes back; call once at launch (later calls do nothing). */
function start() {
  if (started) return
  started = true
  wx.onNetworkStatusChange((res) => {
    if (res && res.isConnected) replay()
  })
}

/** Forget in-memory state (tests: a fresh app). Storage is left alone. */
function reset() {
  running = null
  again = false
  started = false
  Object.keys(waiters).forEach((key) => delete waiters[key])
}

module.exports = {
  QUEUE_KEY,
  FAILURES_KEY,
  checkIn,
  checkOut,
  replay,
  start,
  queue,
  pendingView,
  failures,
  clearFailures,
  newClientId,
  isoTime,
  reset,
}
