/**
 * Claim a missed shift (补录): post, day, start and end time, reason → POST /api/v1/shifts/claims.
 * A claim is always reviewed. The post is chosen among the posts of the member's own shifts,
 * or by scanning the post's code; times are the bureau's (+08:00). The server's field
 * problems (`fields`) are shown under their fields.
 */
const api = require('../../api')
const strings = require('../../strings')
const routes = require('../../utils/routes')
const scan = require('../../utils/scan')
const time = require('../../utils/time')

const t = strings.claim
const DAY_MS = 24 * 3600 * 1000
const MAX_AGE_DAYS = 30
const FIELDS = ['post_id', 'started_at', 'ended_at', 'reason']

function noErrors() {
  const errors = {}
  FIELDS.forEach((name) => { errors[name] = '' })
  return errors
}

Component({
  data: {
    t,
    posts: [], // [{ id, name }]
    postNames: [],
    postIndex: -1,
    day: '',
    start: '',
    end: '',
    reason: '',
    minDay: '',
    maxDay: '',
    errors: noErrors(),
    error: '',
    busy: false,
    done: false,
  },

  methods: {
    async onLoad() {
      wx.setNavigationBarTitle({ title: t.title })
      const now = Date.now()
      this.setData({ minDay: time.isoDate(now - MAX_AGE_DAYS * DAY_MS), maxDay: time.isoDate(now), day: time.isoDate(now) })
      try {
        const { data } = await api.myShifts({ page: 1, page_size: 100 }, { silent: true })
        const seen = {}
        const posts = []
        data.items.forEach((shift) => {
          if (shift.post && !seen[shift.post.id]) {
            seen[shift.post.id] = true
            posts.push({ id: shift.post.id, name: shift.post.name })
          }
        })
        this.setPosts(posts, -1)
      } catch (error) {
        this.setData({ error: error.message })
      }
    },

    setPosts(posts, index) {
      this.setData({ posts, postNames: posts.map((p) => p.name), postIndex: index })
    },

    onPost(event) {
      this.setData({ postIndex: Number(event.detail.value), 'errors.post_id': '' })
    },

    async onScanPost() {
      const { token, cancelled } = await scan.scanCode()
      if (!token) {
        if (!cancelled) this.setData({ 'errors.post_id': strings.common.unknownCode })
        return
      }
      try {
        const answer = await scan.resolve(token)
        if (answer.kind !== 'post') {
          this.setData({ 'errors.post_id': t.notPostCode })
          return
        }
        const posts = this.data.posts.filter((p) => p.id !== answer.target.id)
        posts.unshift({ id: answer.target.id, name: answer.target.name })
        this.setPosts(posts, 0)
        this.setData({ 'errors.post_id': '' })
      } catch (error) {
        this.setData({ 'errors.post_id': error.message })
      }
    },

    onDay(event) {
      this.setData({ day: event.detail.value, 'errors.started_at': '' })
    },

    onStart(event) {
      this.setData({ start: event.detail.value, 'errors.started_at': '' })
    },

    onEnd(event) {
      this.setData({ end: event.detail.value, 'errors.ended_at': '' })
    },

    onReason(event) {
      this.setData({ reason: event.detail.value, 'errors.reason': '' })
    },

    /** Field problems found before asking the server (all required). */
    localErrors() {
      const { postIndex, day, start, end, reason } = this.data
      const errors = noErrors()
      if (postIndex < 0) errors.post_id = t.postRequired
      if (!day || !start) errors.started_at = t.startRequired
      if (!end) errors.ended_at = t.endRequired
      if (!reason.trim()) errors.reason = t.reasonRequired
      return errors
    },

    async onSubmit() {
      if (this.data.busy) return
      const errors = this.localErrors()
      if (FIELDS.some((name) => errors[name])) {
        this.setData({ errors, error: '' })
        return
      }
      const { posts, postIndex, day, start, end, reason } = this.data
      const body = {
        post_id: posts[postIndex].id,
        started_at: time.bureauIso(day, start),
        ended_at: time.bureauIso(day, end),
        reason: reason.trim(),
      }
      this.setData({ busy: true, errors: noErrors(), error: '' })
      try {
        await api.claim(body, { silent: true })
        this.setData({ done: true })
      } catch (error) {
        const fieldErrors = noErrors()
        let shown = false
        Object.keys(error.fields || {}).forEach((name) => {
          if (name in fieldErrors) {
            fieldErrors[name] = [].concat(error.fields[name]).join('；')
            shown = true
          }
        })
        // The server's words under the fields it named, else its message on top (e.g. an overlap).
        this.setData({ errors: fieldErrors, error: shown ? '' : error.message })
      } finally {
        this.setData({ busy: false })
      }
    },

    onShifts() {
      wx.redirectTo({ url: routes.shifts })
    },
  },
})
