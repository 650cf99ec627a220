print("authreplay")
