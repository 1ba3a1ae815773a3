/** `?a=1&b=2` from the defined, non-empty values of `query` (URL-encoded), or ''. */
function queryString(query) {
  const parts = Object.keys(query || {})
    .filter((key) => query[key] !== undefined && query[key] !== null && query[key] !== '')
    .map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(String(query[key]))}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

/**
 * A page option as its sender wrote it. Page options arrive URL-encoded or not depending
 * on the WeChat version and how the page was opened; our values never hold a literal `%`,
 * so one that looks encoded is decoded.
 */
function readParam(value) {
  if (value === undefined || value === null) return ''
  const text = String(value)
  if (!/%[0-9A-Fa-f]{2}/.test(text)) return text
  try {
    return decodeURIComponent(text)
  } catch (e) {
    return text
  }
}

module.exports = { queryString, readParam }
