/**
 * My ratings (GET /api/v1/me/ratings, newest first): what I rated and how, the progress of
 * a bad rating's case, the unit's answer once given, and the one follow-up rating (追评)
 * the server allows after the answer (POST /api/v1/ratings/{id}/follow-up).
 */
const strings = require('../../strings')
const api = require('../../api')
const time = require('../../utils/time')

const t = strings.myRatings
const PAGE_SIZE = 20

/** A rating as the page shows it. */
function view(rating) {
  const target = rating.target || {}
  const followUp = rating.follow_up
  return {
    id: rating.id,
    kindText: target.kind === 'member' ? t.member : t.window,
    targetName: target.name || '',
    unitName: (target.unit && target.unit.name) || '',
    scoreText: strings.format(t.yourScore, { label: rating.score_label || strings.scoreLabel(rating.score) }),
    bad: rating.score <= 2,
    tags: rating.tags || [],
    comment: rating.comment || '',
    commentHidden: rating.comment_status === 'hidden',
    ratedAt: strings.format(t.ratedAt, { time: time.dateTime(rating.created_at) }),
    caseText: rating.case_status_label ? strings.format(t.caseStatus, { status: rating.case_status_label }) : '',
    answer: rating.answer || '',
    answeredAt: rating.answered_at ? strings.format(t.answeredAt, { time: time.dateTime(rating.answered_at) }) : '',
    canFollowUp: Boolean(rating.can_follow_up),
    followUpText: followUp ? strings.format(t.followUpDone, { label: followUp.score_label || strings.scoreLabel(followUp.score) }) : '',
    followUpComment: followUp ? followUp.comment || '' : '',
  }
}

Component({
  data: {
    t,
    r: strings.rate,
    common: strings.common,
    state: 'loading', // loading | ready | error
    errorText: '',
    items: [],
    total: 0,
    page: 0,
    loadingMore: false,
    followUpFor: 0,
    followUpScore: 0,
    followUpComment: '',
    sending: false,
  },

  methods: {
    onLoad() {
      wx.setNavigationBarTitle({ title: t.title })
      return this.load(1)
    },

    onPullDownRefresh() {
      return this.load(1).then(() => wx.stopPullDownRefresh && wx.stopPullDownRefresh())
    },

    /** Load page `page` of my ratings (1 replaces the list, later pages append). */
    async load(page) {
      try {
        const { data } = await api.myRatings({ page, page_size: PAGE_SIZE }, { silent: page === 1 })
        const items = (data.items || []).map(view)
        this.setData({
          state: 'ready',
          items: page === 1 ? items : this.data.items.concat(items),
          total: data.total || 0,
          page,
        })
      } catch (error) {
        if (page === 1) this.setData({ state: 'error', errorText: error.message })
      }
    },

    async onLoadMore() {
      if (this.data.loadingMore || this.data.items.length >= this.data.total) return
      this.setData({ loadingMore: true })
      await this.load(this.data.page + 1)
      this.setData({ loadingMore: false })
    },

    onRetry() {
      this.setData({ state: 'loading' })
      return this.load(1)
    },

    onStartFollowUp(event) {
      this.setData({ followUpFor: Number(event.currentTarget.dataset.id), followUpScore: 0, followUpComment: '' })
    },

    onCancelFollowUp() {
      this.setData({ followUpFor: 0 })
    },

    onFollowUpScore(event) {
      this.setData({ followUpScore: Number(event.currentTarget.dataset.score) })
    },

    onFollowUpComment(event) {
      this.setData({ followUpComment: event.detail.value })
    },

    async onSubmitFollowUp() {
      const { followUpFor, followUpScore, followUpComment, sending } = this.data
      if (sending || !followUpFor) return
      if (!followUpScore) {
        wx.showToast({ title: strings.rate.scoreRequired, icon: 'none' })
        return
      }
      this.setData({ sending: true })
      try {
        const { data } = await api.followUp(followUpFor, { score: followUpScore, comment: followUpComment.trim() })
        const items = this.data.items.map((item) => (item.id === data.id ? view(data) : item))
        this.setData({ items, followUpFor: 0, sending: false })
        wx.showToast({ title: t.followUpThanks, icon: 'success' })
      } catch (error) {
        // request() showed the server's message (e.g. 已追评过); reload to show the real state.
        this.setData({ sending: false, followUpFor: 0 })
        await this.load(1)
      }
    },
  },
})
