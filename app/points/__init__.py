"""Registration / confirmation points (确定报名确认点) proposed by counties and approved by the
city and the province, and upward data reporting (数据上报): county → city → province."""
