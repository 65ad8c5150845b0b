import SluiceCore
print("sluice")
