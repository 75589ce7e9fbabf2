print("klip")
