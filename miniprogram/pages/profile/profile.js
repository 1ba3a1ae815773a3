/**
 * A scanned badge or window: who serves you (亮身份), what they promise (亮承诺), what they
 * do (亮职责), and the rating form — five large level buttons, tags, a comment, and for a
 * bad rating an optional phone number for the follow-up call. POST /api/v1/ratings, then
 * the thanks page (with the case deadlines for a bad rating). A post's code goes to check-in.
 *
 * The form has one client_id: a resend after a lost answer (no network, a tap on 提交 again)
 * gets the rating the server already made (200) rather than a second one or a 409.
 */
const strings = require('../../strings')
const api = require('../../api')
const scan = require('../../utils/scan')
const routes = require('../../utils/routes')
const { newClientId } = require('../../utils/offline')

const r = strings.rate
const BAD = 2 // scores up to this are bad ratings: negative tags, a contact field, a case

/** The tags offered for `score`, marking those in `selected`. */
function tagsFor(score, selected) {
  if (!score) return []
  const names = score <= BAD ? r.negativeTags : r.positiveTags
  return names.map((name) => ({ name, selected: selected.indexOf(name) >= 0 }))
}

/** `{ field: 'message；message' }` from the contract's `fields` (lists of Chinese messages). */
function fieldTexts(fields) {
  const texts = {}
  Object.keys(fields || {}).forEach((name) => {
    const value = fields[name]
    if (Array.isArray(value)) texts[name] = value.filter((m) => typeof m === 'string').join('；')
  })
  return texts
}

Component({
  data: {
    t: strings.profile,
    r,
    common: strings.common,
    state: 'loading', // loading | ready | error
    errorText: '',
    kind: '',
    target: {},
    levels: r.levels,
    score: 0,
    tags: [],
    comment: '',
    contact: '',
    showContact: false,
    submitting: false,
    error: '',
    fieldErrors: {},
  },

  methods: {
    async onLoad(options) {
      wx.setNavigationBarTitle({ title: strings.profile.title })
      this.token = scan.tokenFromOptions(options)
      if (!this.token) {
        this.setData({ state: 'error', errorText: strings.landing.noCodeBody })
        return
      }
      let result = scan.cached(this.token)
      if (!result) {
        try {
          result = await scan.resolve(this.token)
        } catch (error) {
          // The landing page explains unknown, revoked and expired codes.
          wx.redirectTo({ url: routes.withQuery(routes.landing, { token: this.token }) })
          return
        }
      }
      if (result.kind === 'post') {
        wx.redirectTo({ url: scan.pageFor(result.kind, this.token) })
        return
      }
      this.setData({ state: 'ready', kind: result.kind, target: result.target || {} })
    },

    onScore(event) {
      const score = Number(event.currentTarget.dataset.score)
      const kept = this.selectedTags().filter((name) => tagsFor(score, []).some((tag) => tag.name === name))
      this.setData({ score, tags: tagsFor(score, kept), showContact: score <= BAD, error: '' })
    },

    onTag(event) {
      const name = event.currentTarget.dataset.tag
      const tags = this.data.tags.map((tag) => (tag.name === name ? { name, selected: !tag.selected } : tag))
      this.setData({ tags })
    },

    onComment(event) {
      this.setData({ comment: event.detail.value })
    },

    onContact(event) {
      this.setData({ contact: event.detail.value })
    },

    selectedTags() {
      return this.data.tags.filter((tag) => tag.selected).map((tag) => tag.name)
    },

    async onSubmit() {
      const { score, submitting } = this.data
      if (submitting) return
      if (!score) {
        this.setData({ error: r.scoreRequired })
        return
      }
      this.setData({ submitting: true, error: '', fieldErrors: {} })
      if (!this.clientId) this.clientId = newClientId()
      const body = {
        clientId: this.clientId,
        token: this.token,
        score,
        tags: this.selectedTags(),
        comment: this.data.comment.trim(),
        contact: score <= BAD ? this.data.contact.trim() : '',
      }
      try {
        const { data } = await api.rate(body)
        const rated = data.case || {}
        wx.redirectTo({
          url: routes.withQuery(routes.thanks, {
            score: data.score,
            unit: this.data.target.unit && this.data.target.unit.name,
            case_id: rated.id,
            due_contact_at: rated.due_contact_at,
            due_resolve_at: rated.due_resolve_at,
            comment_status: data.comment_status,
          }),
        })
      } catch (error) {
        // request() has shown the message (e.g. 409 「您今天已评价过该窗口」); keep it on the form too.
        this.setData({ submitting: false, error: error.message, fieldErrors: fieldTexts(error.fields) })
      }
    },

    onHome() {
      wx.reLaunch({ url: routes.index })
    },
  },
})
