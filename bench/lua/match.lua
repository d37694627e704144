-- wrk script: POST /api/v2/knowledge/data_match_test on dataset $DATA_ID with "Authorization:
-- Bearer $BEARER", the question taken in turn from a list (Chinese, English, mixed).
local questions = {
  "季度预算审批需要多久", "how long does the budget review take", "客户合同的付款条件",
  "供应商 invoice 什么时候支付", "培训计划由谁负责", "release plan for the new product",
  "招聘流程有哪些步骤", "会议纪要需要发给谁", "audit findings summary", "市场运营的主要目标",
}
local i = 0
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BEARER") or "")
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  local body = '{"data_id":' .. (os.getenv("DATA_ID") or "1") .. ',"question":"' .. questions[(i % #questions) + 1] .. '"}'
  return wrk.format(nil, nil, nil, body)
end
