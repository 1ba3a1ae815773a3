/**
 * Checking out, the same from every page that offers it (check-in page, my shifts, one shift):
 * the location if the phone gives it (a check-out is never refused for lacking one — the
 * server flags it for review), the offline queue, then the offer of the "shift reviewed"
 * subscribe message once the server has the check-out.
 */
const location = require('./location')
const offline = require('./offline')
const subscribe = require('./subscribe')
const strings = require('../strings')

/**
 * Check out of `shiftId` (or of the queued check-in `checkInClientId`). Resolves the
 * offline queue's outcome plus `locationMissing`; rejects with the server's ApiError.
 */
async function checkOut({ shiftId, checkInClientId, post }) {
  let where = null
  try {
    where = await location.current()
  } catch (e) {
    where = null
  }
  const outcome = await offline.checkOut({ shiftId, checkInClientId, post, location: where })
  return { ...outcome, locationMissing: !where }
}

/** After a check-out the server took: offer the message that tells the member the review's result. */
function offerReviewNotice() {
  return subscribe.ask('shift_reviewed', { content: strings.subscribe.shiftReviewed })
}

module.exports = { checkOut, offerReviewNotice }
