import ArgumentParser
import Foundation
import KlipScript
import KlipUpload

/// A CLI command's local video, made a URL the way a script's would be: the init file runs
/// first (its `kling.uploader` wins), else the built-in S3 upload. Only when the backend
/// is not the embedded emulator; otherwise the path goes as it is.
struct LocalUpload: ParsableArguments {
    @Option(help: ArgumentHelp("Upload a local video here first when the API is not the embedded emulator (default: KLIP_UPLOAD).", valueName: "s3://BUCKET/PREFIX"))
    var upload: String?

    @Flag(name: .customLong("no-init"), help: "Do not run the init file (KLIP_INIT, or $XDG_CONFIG_HOME/klip/init.lua) before uploading.")
    var noInit = false

    /// For a script run by a command (`klip dub`): the init file and the built-in S3 upload,
    /// so its identify calls upload local segments as `klip run` would.
    func prepare(_ options: inout ScriptOptions, backend: Backend) async throws {
        let settings: S3Settings?
        do { settings = try S3Settings.resolve(destination: upload, environment: awsEnvironment) } catch {
            throw CLIError.usage(error.description)
        }
        await backend.setUploads(settings)
        options.builtInUpload = settings != nil
        if !noInit {
            do { options.initFile = try InitFile.resolve() } catch { throw CLIError.usage("KLIP_INIT: " + error.message) }
        }
    }

    func resolve(_ video: String, backend: Backend) async throws -> String {
        let lower = video.lowercased()
        let route = backend.localVideos
        guard route != .sendPath, !lower.hasPrefix("http://"), !lower.hasPrefix("https://") else { return video }
        let settings: S3Settings?
        do { settings = try S3Settings.resolve(destination: upload, environment: awsEnvironment) } catch {
            throw CLIError.usage(error.description)
        }
        await backend.setUploads(settings)
        // An emulator on this machine reads the path itself unless an uploader is configured.
        let code = route == .upload || settings != nil
            ? "return kling.upload(arg[1])"
            : "if kling.uploader == nil then return arg[1] end return kling.upload(arg[1])"
        var options = ScriptOptions(source: .code(code), arguments: [video])
        options.builtInUpload = settings != nil
        if !noInit {
            do { options.initFile = try InitFile.resolve() } catch { throw CLIError.usage("KLIP_INIT: " + error.message) }
        }
        // The runner reports its own errors (naming KLIP_UPLOAD or the hook).
        let result = await ScriptRunner(options: options, backend: backend).run()
        guard result.exitStatus == 0, case let .string(url)? = result.values.first else {
            throw CLIError(message: "\(video): not uploaded", status: max(result.exitStatus, 1))
        }
        return url
    }
}
