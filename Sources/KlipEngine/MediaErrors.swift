import KlipMedia

protocol MediaErrorDescribing { var engineDescription: String { get } }

extension MediaError: MediaErrorDescribing {
    var engineDescription: String { description }
}
