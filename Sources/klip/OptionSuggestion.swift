import ArgumentParser

/// The message for an option a command does not know, with the nearest one it does.
enum OptionSuggestion {
    static func unknown<C: ParsableCommand>(_ given: String, in command: C.Type) -> String {
        let name = given.split(separator: "=", maxSplits: 1).first.map(String.init) ?? given
        let known = optionNames(of: command)
        var message = "unknown option '\(name)' (klip's options go before SCRIPT; see 'klip \(C.configuration.commandName ?? "") --help')"
        if let nearest = known.min(by: { distance($0, name) < distance($1, name) }), distance(nearest, name) <= 3 {
            message += "; did you mean '\(nearest)'?"
        }
        return message
    }

    /// The message for a first argument that names no subcommand (ArgumentParser would say
    /// only "unexpected argument"), with the nearest one; nil for a subcommand or an option.
    static func unknownCommand(_ given: String) -> String? {
        let commands = Klip.configuration.subcommands.compactMap { $0.configuration.commandName }
        let names = commands + ["help"]
        guard !given.hasPrefix("-"), !names.contains(given) else { return nil }
        var message = "unknown command '\(given)'"
        if let nearest = names.min(by: { distance($0, given) < distance($1, given) }), distance(nearest, given) <= 2 {
            message += "; did you mean '\(nearest)'?"
        } else {
            message += " (commands: \(commands.joined(separator: ", ")))"
        }
        return message + " See 'klip --help'."
    }

    /// The `--long` names in the command's help text: what a user could have meant.
    static func optionNames<C: ParsableCommand>(of command: C.Type) -> [String] {
        let help = C.helpMessage(columns: 400)
        var names: Set<String> = []
        for word in help.split(whereSeparator: { " ,\n<>[]".contains($0) }) where word.hasPrefix("--") && word.count > 2 {
            names.insert(String(word))
        }
        return names.sorted()
    }

    /// Levenshtein distance: small for a typo, large for a different word.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var diagonal = row[0]
            row[0] = i
            for j in 1...b.count {
                let above = row[j]
                row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
                diagonal = above
            }
        }
        return row[b.count]
    }
}
