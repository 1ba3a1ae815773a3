/**
 * A member's shift as the pages show it: the server's ShiftSchema (GET /api/v1/me/shifts)
 * turned into display text, and the offline queue's "待同步" rows beside it.
 */
const strings = require('../strings')
const time = require('./time')

const t = strings.shifts

function minutesText(minutes) {
  if (minutes === null || minutes === undefined) return ''
  return strings.format(t.minutes, { minutes, hours: time.hours(minutes) })
}

function span(startedAt, endedAt) {
  const start = time.dateTime(startedAt)
  if (!endedAt) return strings.format(t.since, { start })
  const sameDay = time.date(startedAt) === time.date(endedAt)
  return strings.format(t.span, { start, end: sameDay ? time.clock(endedAt) : time.dateTime(endedAt) })
}

/**
 * One row of the list. `checkOutsByShift` (offline.pendingView()) marks an open shift whose
 * check-out waits in the queue.
 */
function summary(shift, checkOutsByShift = {}) {
  const checkOutQueuedAt = checkOutsByShift[shift.id]
  const isOpen = shift.status === 'open' && !checkOutQueuedAt
  return {
    id: shift.id,
    postName: (shift.post && shift.post.name) || '',
    status: shift.status,
    statusLabel: checkOutQueuedAt ? t.checkOutPending : shift.status_label || shift.status,
    spanText: span(shift.started_at, shift.ended_at || checkOutQueuedAt || null),
    minutesText: minutesText(shift.credited_minutes !== null && shift.credited_minutes !== undefined
      ? shift.credited_minutes : shift.minutes),
    source: t.sources[shift.source] || '',
    offline: Boolean(shift.offline),
    isOpen,
    checkOutQueued: Boolean(checkOutQueuedAt),
  }
}

/** A queued check-in (offline.pendingView().rows) as a "待同步" row. */
function queuedRow(row) {
  return {
    clientId: row.client_id,
    postName: row.post_name || t.unknownPost,
    spanText: span(row.started_at, row.ended_at),
    checkedOut: row.checked_out,
  }
}

/** A refused queued action (offline.failures()) as a line of text. */
function failureText(failure) {
  return strings.format(t.syncFailed, {
    action: failure.kind === 'check_out' ? t.actionCheckOut : t.actionCheckIn,
    post: failure.post_name || t.unknownPost,
    time: time.dateTime(failure.acted_at),
    message: failure.message,
  })
}

/** Everything the detail page shows of one shift. */
function detail(shift) {
  const row = summary(shift)
  return {
    ...row,
    unitName: (shift.unit && shift.unit.name) || '',
    startedText: time.dateTime(shift.started_at),
    endedText: shift.ended_at ? time.dateTime(shift.ended_at) : t.notEnded,
    measuredText: minutesText(shift.minutes) || t.noMinutes,
    creditedText: shift.credited_minutes === null || shift.credited_minutes === undefined
      ? '' : minutesText(shift.credited_minutes),
    flags: shift.review_flag_labels || [],
    claimReason: shift.claim_reason || '',
    reviewReason: shift.review_reason || '',
    reviewed: shift.status === 'approved' || shift.status === 'rejected',
    rejected: shift.status === 'rejected',
  }
}

module.exports = { summary, queuedRow, failureText, detail, minutesText }
