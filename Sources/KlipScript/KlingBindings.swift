/// identify, lipsync, wait, task, download, sheet: arrive with the KlingAPI client.
extension LuaRuntime {
    func registerKlingBindings() {}
}
