import AsyncHTTPClient
import Foundation
import KlipTestSupport
import NIOCore
import KlingAPI
import KlipServer
import KlipUpload
import Logging
import Testing

/// `klip serve --remote-only` behaves like Kling's cloud about local media, and a file
/// uploaded to a real moto_server is fetched by the emulator through its presigned URL.
@Suite(.serialized) struct RemoteOnlyTests {
    static let media = ChildProcess.root.appendingPathComponent("media")

    func emulator(remoteOnly: Bool) async throws -> (RunningEmulator, KlingClient) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-remote-\(UUID().uuidString)")
        var config = EmulatorConfiguration(stateDirectory: dir.path, maxParallel: 2)
        // A media root that would allow the files: --remote-only refuses them all the same.
        config.mediaRoots = [Self.media.path]
        config.renderMode = .none
        config.remoteOnly = remoteOnly
        var logger = Logger(label: "klip.test.remote")
        logger.logLevel = .critical
        let running = try await Emulator.start(config, logger: logger)
        let client = KlingClient(configuration: KlingConfiguration(baseURL: running.baseURL, credentials: .none, isLocal: true))
        return (running, client)
    }

    @Test func localPathsAndFileURLsAreRefusedWith1201NamingTheField() async throws {
        let (running, client) = try await emulator(remoteOnly: true)
        try await withCleanup {
            let video = Self.media.appendingPathComponent("one-face.mp4")
            for reference in [video.path, video.absoluteString] {
                do throws(KlingError) {
                    _ = try await client.identifyFace(IdentifyFaceRequest(videoURL: reference))
                    Issue.record("\(reference) was accepted")
                } catch {
                    #expect(error.code == 1201)
                    #expect(error.message.contains("video_url"))
                    #expect(error.message.contains("http(s) URL"))
                }
            }
            // sound_file is checked the same way (the session must exist first: identify by URL
            // is what a real client would do, so the refusal is about sound_file alone).
            let moto = try await MotoServer.start()
            do {
                try await moto.createBucket("remote-only")
                let uploaded = try await ContentUploader(settings: moto.settings(bucket: "remote-only")).upload(path: video.path)
                let session = try await client.identifyFace(IdentifyFaceRequest(videoURL: uploaded.url))
                // Sent as raw bodies: the client itself refuses a bare path before sending.
                let sound = Self.media.appendingPathComponent("speech.wav")
                for reference in [sound.path, sound.absoluteString] {
                    let body = #"{"session_id":"\#(session.sessionID)","face_choose":[{"face_id":"\#(session.faceData[0].faceID)","sound_file":"\#(reference)","sound_start_time":0,"sound_end_time":2000,"sound_insert_time":0}]}"#
                    var request = HTTPClientRequest(url: running.baseURL.absoluteString + KlingConfiguration.gatewayPrefix + "/videos/advanced-lip-sync")
                    request.method = .POST
                    request.headers.add(name: "content-type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: body))
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                    let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                    #expect(text.contains("\"code\":1201"), "\(text)")
                    #expect(text.contains("face_choose[0].sound_file"), "\(text)")
                }
            } catch {
                await moto.stop()
                throw error
            }
            await moto.stop()
        } cleanup: {
            await running.stop()
        }
    }

    @Test func anUploadedVideoIsIdentifiedThroughItsPresignedURL() async throws {
        let (running, client) = try await emulator(remoteOnly: true)
        try await withCleanup {
            let moto = try await MotoServer.start()
            do {
                try await moto.createBucket("remote-ok")
                let uploaded = try await ContentUploader(settings: moto.settings(bucket: "remote-ok")).upload(path: Self.media.appendingPathComponent("one-face.mp4").path)
                let session = try await client.identifyFace(IdentifyFaceRequest(videoURL: uploaded.url))
                #expect(session.faceData.count == 1)
                let sound = try await client.prepareSound(Self.media.appendingPathComponent("speech.wav").path)
                let task = try await client.createLipSync(LipSyncRequest(
                    sessionID: session.sessionID,
                    faceChoose: [FaceChoose(faceID: session.faceData[0].faceID, soundFile: sound.soundFile,
                                            soundStartTime: 0, soundEndTime: 2000, soundInsertTime: 0)]), audio: sound.facts)
                let done = try await client.wait(taskID: task.taskID, timeout: .seconds(300), firstPoll: .milliseconds(200))
                #expect(done.taskStatus == .succeed)
            } catch {
                await moto.stop()
                throw error
            }
            await moto.stop()
        } cleanup: {
            await running.stop()
        }
    }
}
