/**
 * After a rating: thanks, the level given, and for a bad rating the case it opened with
 * its deadlines (contact the citizen by, answer by), as the server computed them.
 * Options (from the profile page): score, unit, case_id, due_contact_at, due_resolve_at,
 * comment_status.
 */
const strings = require('../../strings')
const routes = require('../../utils/routes')
const time = require('../../utils/time')
const { readParam } = require('../../utils/query')

const t = strings.thanks

Component({
  data: {
    t,
    common: strings.common,
    scoreText: '',
    bad: false,
    forwarded: '',
    caseNumber: '',
    contactBy: '',
    resolveBy: '',
    deadlines: '',
    commentPending: false,
  },

  methods: {
    onLoad(options = {}) {
      wx.setNavigationBarTitle({ title: t.title })
      const score = Number(readParam(options.score))
      const unit = readParam(options.unit)
      const caseId = readParam(options.case_id)
      const contactBy = time.dateTime(readParam(options.due_contact_at))
      const resolveBy = time.dateTime(readParam(options.due_resolve_at))
      this.setData({
        scoreText: strings.format(t.score, { label: strings.scoreLabel(score) }),
        bad: Boolean(caseId),
        forwarded: unit ? strings.format(t.bad, { unit }) : t.badNoUnit,
        caseNumber: caseId ? strings.format(t.caseNumber, { id: caseId }) : '',
        contactBy,
        resolveBy,
        deadlines: contactBy && resolveBy ? strings.format(t.deadlines, { contact: contactBy, resolve: resolveBy }) : '',
        commentPending: readParam(options.comment_status) === 'hidden',
      })
    },

    onMyRatings() {
      wx.redirectTo({ url: routes.myRatings })
    },

    onHome() {
      wx.reLaunch({ url: routes.index })
    },
  },
})
