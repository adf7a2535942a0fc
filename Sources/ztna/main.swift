print("ztna")
