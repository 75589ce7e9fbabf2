import Foundation
import KlingAPI
import Testing

/// The client reads a local video's length when it identifies it (`MP4Duration`, else
/// ffprobe), so a create whose clip ends after the video is refused before it is sent.
@Suite struct LocalVideoLengthTests {
    @Test func aClipPastTheEndOfALocalVideoIsRefusedBeforeAnythingIsSent() async throws {
        let emulator = try await TestEmulator.start { $0.renderMode = .none; $0.mediaRoots = [ServeProcess.repoMedia] }
        let client = KlingClient(configuration: KlingConfiguration(baseURL: emulator.running.baseURL, credentials: .none, isLocal: true))
        let media = ServeProcess.repoMedia
        let session = try await client.identifyFace(video: media + "/one-face.mp4")
        let sound = try await client.prepareSound(media + "/speech.wav")
        func create(insert: Int) async throws -> LipSyncTask {
            try await client.createLipSync(LipSyncRequest(sessionID: session.sessionID, faceChoose: [FaceChoose(
                faceID: session.faceData[0].faceID, soundFile: sound.soundFile,
                soundStartTime: 0, soundEndTime: 3000, soundInsertTime: insert)]), audio: sound.facts)
        }
        // one-face.mp4 is 10,000 ms long: a clip ending at 10,001 ms is the client's to refuse.
        let refused = await #expect(throws: KlingError.self) { _ = try await create(insert: 7001) }
        #expect(refused?.kind == .validation)
        #expect(refused?.field == "face_choose[0].sound_insert_time")
        #expect(refused?.message.contains("(10000 ms)") == true, "\(refused?.message ?? "")")
        let fits = try await create(insert: 7000)
        #expect(!fits.taskID.isEmpty)
        await emulator.close()
    }
}
