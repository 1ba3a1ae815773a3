"""The hours record and the hours exports: a member's printable, verifiable 志愿服务时长记录
(PDF with a QR to /verify/{token}) and the admins' Excel and platform CSV of approved hours.

Every output reads approved shifts through server.hours.entries, so the PDF, the workbook
and the CSV always agree on what counts (the credited minutes of approved shifts).
"""
