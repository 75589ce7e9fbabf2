import ArgumentParser
import Foundation
import KlingAPI

struct LipSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lipsync",
        abstract: "Create a task that makes one face of a session speak an audio clip.",
        discussion: "Times are integer milliseconds, as in the API. The clip [--start, --end] of the audio is inserted at --insert on the video's timeline.")

    @Option(name: .long, help: "session_id from `klip identify`.") var session: String
    @Option(name: .long, help: "face_id from `klip identify`.") var face: String
    @Option(name: .long, help: "Audio: a local file (checked, converted if needed, sent as Base64) or an http(s) URL.") var audio: String?
    @Option(name: .long, help: "An audio_id from Kling's text-to-speech, instead of --audio.") var audioID: String?
    @Option(name: .long, help: "sound_start_time, ms into the audio.") var start: Int
    @Option(name: .long, help: "sound_end_time, ms into the audio.") var end: Int
    @Option(name: .long, help: "sound_insert_time, ms into the video.") var insert: Int
    @Option(name: .long, help: "sound_volume, 0 to 2 (default 1).") var volume: Double?
    @Option(name: .long, help: "original_audio_volume, 0 to 2 (default 1).") var originalVolume: Double?
    @Option(name: .long, help: "external_task_id (also makes a create safe to retry).") var externalID: String?
    @Option(name: .long, help: "callback_url notified on every status change.") var callback: String?
    @Flag(name: .long, help: "Wait until the task ends.") var wait = false
    @Option(name: .long, help: "With --wait: download the result video here.") var out: String?
    @Option(name: .long, help: "With --wait: give up after this many seconds.") var timeout: Int = 1800
    @Flag(name: .long, help: "Print the task object as JSON.") var json = false
    @OptionGroup var backend: BackendOptions

    func validate() throws {
        if (audio == nil) == (audioID == nil) { throw ValidationError("give exactly one of --audio or --audio-id") }
        if out != nil && !wait { throw ValidationError("--out needs --wait (or use `klip wait TASK --out FILE`)") }
    }

    func run() async throws {
        // Everything that can be checked is checked before a backend is started.
        var facts: AudioFacts?
        var soundFile: String?
        if let audio {
            let prepared = try await PreparedSound.prepare(audio)
            if let note = prepared.note { stderrLine("klip: \(note)") }
            soundFile = prepared.soundFile
            facts = prepared.facts
        }
        let request = LipSyncRequest(
            sessionID: session,
            faceChoose: [FaceChoose(faceID: face, audioID: audioID, soundFile: soundFile,
                                    soundStartTime: start, soundEndTime: end, soundInsertTime: insert,
                                    soundVolume: volume, originalAudioVolume: originalVolume)],
            externalTaskID: externalID, callbackURL: callback)
        try Preflight.check(request, facts: PreflightFacts(audio: facts))

        let backend = try backend.makeBackend()
        let (created, finished) = try await backend.run { client -> (LipSyncTask, LipSyncTask?) in
            var request = request
            if request.callbackURL == nil, let url = await backend.callbackReceiverURL { request.callbackURL = url }
            let sent = request
            let task = try await SlotQueue.default.run(onQueued: { refused in
                stderrLine("klip: waiting for a free task slot (\(refused.message))")
            }) { () async throws(KlingError) in try await client.createLipSync(sent, audio: facts) }
            guard wait else { return (task, nil) }
            stderrLine("klip: task \(task.taskID) \(task.taskStatus); waiting")
            let done = try await WaitCommand.waitAndDownload(client, taskID: task.taskID, timeout: timeout, out: out)
            return (task, done)
        }
        let shown = backend.presented(finished ?? created)
        if json { return try Output.json(shown) }
        Output.describe(shown)
    }
}
