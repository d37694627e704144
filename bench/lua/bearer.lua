-- wrk script: GET with "Authorization: Bearer $BEARER".
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BEARER") or "")
