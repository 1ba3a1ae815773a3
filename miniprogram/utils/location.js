/**
 * The phone's location for check-in and check-out, and the way back from a refused permission.
 *
 * The server judges the fence in WGS-84 (server/shifts/schemas.py LocationSchema, geo.py),
 * so wx.getLocation is asked for `type: 'wgs84'` (not the GCJ-02 of WeChat's maps).
 * app.json declares `scope.userLocation` with the reason shown in WeChat's prompt, and
 * `requiredPrivateInfos: ["getLocation"]`.
 */

/** A wx.getLocation failure that means "the user (or WeChat's privacy setting) said no". */
function isDenied(errMsg) {
  return /auth den|authorize no response|auth cancel|privacy|permission/i.test(String(errMsg || ''))
}

/**
 * The current location `{ lat, lng, accuracy_m }`. Rejects `{ denied: true }` when location is
 * refused, `{ denied: false, errMsg }` when it cannot be had (GPS off, timeout).
 */
function current() {
  return new Promise((resolve, reject) => {
    wx.getLocation({
      type: 'wgs84',
      isHighAccuracy: true,
      highAccuracyExpireTime: 4000,
      success: (res) => resolve({
        lat: res.latitude,
        lng: res.longitude,
        accuracy_m: typeof res.accuracy === 'number' ? res.accuracy : res.horizontalAccuracy,
      }),
      fail: (err) => reject({ denied: isDenied(err && err.errMsg), errMsg: (err && err.errMsg) || '' }),
    })
  })
}

/** Open WeChat's settings page (call from a tap); resolves whether location is now allowed. */
function openSetting() {
  return new Promise((resolve) => {
    wx.openSetting({
      success: (res) => resolve(Boolean(res && res.authSetting && res.authSetting['scope.userLocation'])),
      fail: () => resolve(false),
    })
  })
}

module.exports = { current, openSetting, isDenied }
